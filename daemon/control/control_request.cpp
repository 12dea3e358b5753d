// SPDX-License-Identifier: BSD-2-Clause
#include "control_request.h"

#include <nlohmann/json.hpp>

namespace smalld {

size_t LineReader::feed(std::string_view data, const std::function<bool(const Item&)>& on_item) {
    size_t at = 0;
    while (at < data.size()) {
        size_t nl = data.find('\n', at);
        bool complete = nl != std::string_view::npos;
        std::string_view chunk = data.substr(at, (complete ? nl : data.size()) - at);
        at = complete ? nl + 1 : data.size();
        if (discarding_) {
            discarding_ = !complete;
            continue;
        }
        if (!complete) {
            pending_.append(chunk);
            // One byte of slack for the CR of a "\r\n" still to come.
            if (pending_.size() > max_line_ + 1) {
                pending_.clear();
                discarding_ = true;
                if (!on_item(Item{true, {}})) return at;
            }
            continue;
        }
        std::string line = std::move(pending_);
        pending_.clear();
        line.append(chunk);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        bool keep_going =
            line.size() > max_line_ ? on_item(Item{true, {}}) : on_item(Item{false, line});
        if (!keep_going) return at;
    }
    return at;
}

namespace {

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    size_t at = 0;
    while (at < text.size()) {
        size_t start = text.find_first_not_of(" \t", at);
        if (start == std::string_view::npos) break;
        size_t end = text.find_first_of(" \t", start);
        if (end == std::string_view::npos) end = text.size();
        words.emplace_back(text.substr(start, end - start));
        at = end;
    }
    return words;
}

ParsedRequest failure(std::string message) {
    ParsedRequest parsed;
    parsed.error = std::move(message);
    return parsed;
}

}  // namespace

ParsedRequest parse_request(std::string_view line) {
    if (!valid_utf8(line)) return failure("request is not valid UTF-8");
    for (char c : line)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F)
            return failure("request contains control characters");
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        ParsedRequest parsed;
        parsed.empty = true;
        return parsed;
    }
    ControlRequest request;
    if (line[first] == '{') {
        nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return failure("request is not a valid JSON object");
        auto command = j.find("command");
        if (command == j.end() || !command->is_string())
            return failure("JSON request needs \"command\": a string");
        for (const auto& [key, value] : j.items())
            if (key != "command" && key != "args")
                return failure("JSON request: unknown member \"" + key + "\"");
        request.words = split_words(command->get<std::string>());
        if (auto args = j.find("args"); args != j.end()) {
            if (!args->is_array()) return failure("JSON request: \"args\" must be an array");
            for (const auto& arg : *args) {
                if (arg.is_string())
                    request.words.push_back(arg.get<std::string>());
                else if (arg.is_number_integer())
                    request.words.push_back(arg.dump());
                else
                    return failure("JSON request: every arg must be a string or an integer");
            }
        }
        if (request.words.empty()) return failure("JSON request: empty command");
    } else {
        request.words = split_words(line);
    }
    ParsedRequest parsed;
    parsed.request = std::move(request);
    return parsed;
}

}  // namespace smalld
