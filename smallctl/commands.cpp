#include "commands.h"

#include <algorithm>

namespace smallctl {

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"status", 0, 0, "status", "version, pid, uptime, config, last reload, state"},
        {"stats", 0, 0, "stats", "every counter and gauge"},
        {"stats reset", 0, 0, "stats reset", "zero the counters (admin)"},
        {"metrics", 0, 0, "metrics", "the counters in Prometheus text format"},
        {"listeners", 0, 0, "listeners", "every listening socket"},
        {"conns", 0, 0, "conns", "live TCP sessions"},
        {"conn kill", 1, 1, "conn kill ID", "close one session (admin)"},
        {"reload", 0, 0, "reload", "re-read the configuration (admin)"},
        {"log-level", 1, 1, "log-level LEVEL", "change the log level (admin)"},
        {"monitor", 0, 0, "monitor", "print events until interrupted"},
    };
    return table;
}

namespace {

std::vector<std::string> split(std::string_view name) {
    std::vector<std::string> words;
    size_t at = 0;
    while (at <= name.size()) {
        size_t space = name.find(' ', at);
        if (space == std::string_view::npos) space = name.size();
        words.emplace_back(name.substr(at, space - at));
        at = space + 1;
    }
    return words;
}

bool starts_with(const std::string& word, std::string_view prefix) {
    return word.compare(0, prefix.size(), prefix) == 0 && word.size() >= prefix.size();
}

}  // namespace

size_t shortest_abbreviation(std::string_view word) {
    // stats/status and conn/conns share their first letters: the short ones
    // are spelled out, status may be cut down to "sta".
    if (word == "stats" || word == "conn" || word == "conns") return word.size();
    if (word == "status") return 3;
    return 1;
}

std::string resolve_word(std::string_view word, const std::vector<std::string>& candidates,
                         std::string* error) {
    if (word.empty()) {
        *error = "empty command word";
        return {};
    }
    for (const auto& c : candidates)
        if (c == word) return c;
    std::vector<std::string> matches;
    for (const auto& c : candidates)
        if (starts_with(c, word) && word.size() >= shortest_abbreviation(c)) matches.push_back(c);
    if (matches.size() == 1) return matches.front();
    std::vector<std::string> all;
    for (const auto& c : candidates)
        if (starts_with(c, word)) all.push_back(c);
    if (all.empty()) {
        *error = "unknown command \"" + std::string(word) + "\"";
    } else {
        *error = "\"" + std::string(word) + "\" is ambiguous:";
        for (const auto& c : all) *error += " " + c;
    }
    return {};
}

Resolved resolve(const std::vector<std::string>& words) {
    Resolved out;
    if (words.empty()) {
        out.error = "no command given";
        return out;
    }
    std::vector<std::string> path;
    size_t used = 0;
    for (;; ++used) {
        // Next words of the commands that start with `path`.
        std::vector<std::string> next;
        bool complete = false;
        for (const auto& c : commands()) {
            auto parts = split(c.name);
            if (parts.size() < path.size() || !std::equal(path.begin(), path.end(), parts.begin()))
                continue;
            if (parts.size() == path.size())
                complete = true;
            else if (std::find(next.begin(), next.end(), parts[path.size()]) == next.end())
                next.push_back(parts[path.size()]);
        }
        if (next.empty() || used == words.size()) break;
        std::string error;
        std::string word = resolve_word(words[used], next, &error);
        if (word.empty()) {
            if (complete) break;  // the rest are arguments
            out.error = path.empty() ? error : path.front() + ": " + error;
            return out;
        }
        path.push_back(word);
    }
    std::string name;
    for (const auto& w : path) name += (name.empty() ? "" : " ") + w;
    for (const auto& c : commands()) {
        if (c.name != name) continue;
        out.args.assign(words.begin() + long(used), words.end());
        if (out.args.size() < c.min_args || out.args.size() > c.max_args) {
            out.error = "usage: smallctl " + std::string(c.usage);
            out.args.clear();
            return out;
        }
        out.command = &c;
        return out;
    }
    std::string choices;
    for (const auto& c : commands())
        if (c.name.substr(0, name.size() + 1) == name + " ")
            choices += (choices.empty() ? "" : ", ") + std::string(c.usage);
    out.error = "usage: smallctl " + choices;
    return out;
}

}  // namespace smallctl
