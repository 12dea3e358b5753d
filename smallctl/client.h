#pragma once
// The control socket from the client's side: connect, send one request,
// read reply lines.

#include <string>

namespace smallctl {

class Client {
  public:
    ~Client();
    // 0 on success, otherwise errno of the connect.
    int connect_to(const std::string& path);
    bool send_line(const std::string& line);
    // One line without its newline; false on EOF, error or timeout
    // (timeout_ms < 0: wait forever).
    bool read_line(std::string* line, int timeout_ms);

  private:
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace smallctl
