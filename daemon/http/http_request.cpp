// SPDX-License-Identifier: BSD-2-Clause
#include "http_request.h"

#include <cctype>
#include <cstring>

namespace smalld {

namespace {

bool is_tchar(unsigned char c) {
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Does the comma-separated list `value` hold `word`?
bool list_has(std::string_view value, std::string_view word) {
    while (!value.empty()) {
        size_t comma = value.find(',');
        if (iequals(trim(value.substr(0, comma)), word)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

// "GET /metrics HTTP/1.1": 0 when good, else the status to answer.
int parse_request_line(std::string_view line, HttpRequest& request) {
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return 400;
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method) || target.empty()) return 400;
    for (unsigned char c : target)
        if (c <= 0x20 || c >= 0x7f) return 400;
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
        !isdigit((unsigned char)version[5]) || version[6] != '.' ||
        !isdigit((unsigned char)version[7]))
        return 400;
    if (version[5] != '1') return 505;
    request.method = method;
    request.target = target;
    request.minor = version[7] - '0';
    request.keep_alive = request.minor >= 1;
    return 0;
}

// One header field; 0 when good, else the status to answer.
int parse_header(std::string_view line, HttpRequest& request, bool* seen_length,
                 std::string_view* length) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return 400;
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    for (unsigned char c : value)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 400;
    if (iequals(name, "Connection")) {
        if (list_has(value, "close"))
            request.keep_alive = false;
        else if (list_has(value, "keep-alive") && request.minor == 0)
            request.keep_alive = true;
    } else if (iequals(name, "Content-Length")) {
        if (value.empty() || value.size() > 18) return 400;
        for (unsigned char c : value)
            if (!isdigit(c)) return 400;
        if (*seen_length && value != *length) return 400;
        *seen_length = true;
        *length = value;
        if (value.find_first_not_of('0') != std::string_view::npos) request.has_body = true;
    } else if (iequals(name, "Transfer-Encoding")) {
        request.has_body = true;
    } else if (iequals(name, "Last-Event-ID") && value.size() <= 32) {
        request.last_event_id = value;  // longer is no id of ours: ignored
    }
    return 0;
}

}  // namespace

HttpParse parse_http_request(std::string_view data, size_t max_head) {
    HttpParse result;
    auto bad = [&](int status) {
        result.status = HttpParse::Status::Bad;
        result.error_status = status;
        return result;
    };
    bool have_request_line = false;
    bool seen_length = false;
    std::string_view length;
    size_t pos = 0;
    for (;;) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string_view::npos || nl >= max_head)
            return data.size() > max_head ? bad(431) : result;
        std::string_view line = data.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl + 1;
        if (!have_request_line) {
            if (line.empty()) continue;  // RFC 9112 2.2: blank lines before a request
            if (int status = parse_request_line(line, result.request)) return bad(status);
            have_request_line = true;
        } else if (line.empty()) {
            result.status = HttpParse::Status::Done;
            result.consumed = pos;
            return result;
        } else if (line.front() == ' ' || line.front() == '\t') {
            return bad(400);  // obsolete line folding
        } else if (int status = parse_header(line, result.request, &seen_length, &length)) {
            return bad(status);
        }
    }
}

const char* http_reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

std::string serialize_http_reply(const HttpReply& reply, int minor, bool head, bool keep_alive) {
    std::string out = minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(reply.status);
    out += ' ';
    out += http_reason(reply.status);
    out += "\r\nContent-Type: ";
    out += reply.content_type;
    out += "\r\n";
    if (!reply.stream) {
        out += "Content-Length: ";
        out += std::to_string(reply.body.size());
        out += "\r\n";
    }
    out += reply.extra_headers;
    if (!keep_alive || reply.stream)
        out += "Connection: close\r\n";
    else if (minor == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!head) out += reply.body;
    return out;
}

}  // namespace smalld
