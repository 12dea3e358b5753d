// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control socket from the client's side: connect, send one request,
// read reply lines. The client does not trust the other end: the connect
// and every read are bounded in time, a reply line in size, and reading a
// line never rescans what it already looked at.

#include <cstddef>
#include <string>

namespace smallctl {

// The longest reply line smallctl takes (a one-line reply is the whole
// reply; a monitor's event is one line too): far beyond what smalld sends,
// `conns` of thousands of sessions included.
constexpr size_t kMaxReplyBytes = 16 << 20;

class Client {
  public:
    ~Client();
    // 0 on success, otherwise the errno of the connect: ETIMEDOUT when the
    // socket did not accept within timeout_ms (a full backlog, a process
    // that listens but never accepts).
    int connect_to(const std::string& path, int timeout_ms);
    // False when the request could not be sent within timeout_ms.
    bool send_line(const std::string& line, int timeout_ms);

    enum class Read { Line, Closed, Timeout, TooLong, Error };
    // One line without its newline, within timeout_ms (from this call).
    Read read_line(std::string* line, int timeout_ms);

  private:
    int fd_ = -1;
    std::string buffer_;
    size_t head_ = 0;     // the unread part of buffer_ starts here
    size_t scanned_ = 0;  // no newline in buffer_[head_, scanned_)
    int error_ = 0;       // errno of the last Read::Error
    friend std::string describe(Read result, int timeout_ms, const Client& client);
};

// Says on stderr why connect_to failed and returns smallctl's exit status:
// 3 when smalld is not running or does not accept (ETIMEDOUT), 4 when
// permission is denied, 1 otherwise.
int report_connect_error(const std::string& path, int err);

// What a failed read_line means, for a message: "no reply within 60 s".
std::string describe(Client::Read result, int timeout_ms, const Client& client);

}  // namespace smallctl
