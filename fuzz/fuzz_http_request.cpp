// SPDX-License-Identifier: BSD-2-Clause
// The metrics endpoint's HTTP side: the request-head parser on any bytes,
// fed as a socket would (in pieces, reparsed as they grow), and the reply it
// leads to, which must always be framed by a Content-Length.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t step = size ? size_t(data[0]) % 64 + 1 : 1;
    size_t max_head = size ? 16 + size_t(data[0]) * 32 : 8192;
    std::string buffer;
    for (size_t at = 0; at < input.size(); at += step) {
        buffer.append(input.substr(at, step));
        for (int requests = 0; requests < 64; ++requests) {
            smalld::HttpParse p = smalld::parse_http_request(buffer, max_head);
            if (p.status == smalld::HttpParse::Status::NeedMore) {
                if (buffer.size() > max_head) abort();
                break;
            }
            if (p.status == smalld::HttpParse::Status::Bad) {
                if (p.error_status < 400 || p.error_status > 505) abort();
                buffer.clear();
                break;
            }
            if (p.consumed == 0 || p.consumed > buffer.size() || p.request.method.empty()) abort();
            smalld::HttpReply reply = smalld::route_http_request(
                p.request, [](std::string_view path, smalld::HttpReply& r) {
                    if (path != "/metrics" && path != "/") return false;
                    r.body = std::string(100, 'm');
                    return true;
                });
            bool head = p.request.method == "HEAD";
            std::string bytes =
                smalld::serialize_http_reply(reply, p.request.minor, head, p.request.keep_alive);
            std::string length =
                "\r\nContent-Length: " + std::to_string(reply.body.size()) + "\r\n";
            if (bytes.find(length) == std::string::npos) abort();
            if (bytes.size() != bytes.find("\r\n\r\n") + 4 + (head ? 0 : reply.body.size()))
                abort();
            buffer.erase(0, p.consumed);
        }
    }
    return 0;
}
