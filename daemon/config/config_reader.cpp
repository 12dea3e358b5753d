// SPDX-License-Identifier: BSD-2-Clause
// Reads the INI files with inih into raw sections. inih reports only the
// first syntax error and never shows section headers, so a reader callback
// feeds it one line at a time: the reader knows the line number of every key,
// sees every header (so an empty [echo] still enables echo), and notices key
// lines inih could not parse. config.cpp applies the values.
#include "config_reader.h"

#include <ini.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "parse.h"

namespace smalld {

namespace {

constexpr size_t kMaxNameLength = 32;
// inih's buffer: the longest line, its CR LF and a NUL.
constexpr int kIniBuffer = int(kMaxConfigLine) + 3;

enum class LineKind { None, Blank, Header, Key };

struct Reader {
    Reader(const std::string& text_, const std::string& path_, std::vector<ConfigError>& errors_)
        : text(text_), path(path_), errors(errors_) {}

    const std::string& text;
    const std::string& path;
    std::vector<ConfigError>& errors;
    std::deque<RawSection> sections;  // stable addresses for `section`
    size_t pos = 0;
    int line = 0;
    LineKind kind = LineKind::None;
    bool handled = false;
    std::string current;  // the raw text of the current line
    RawSection* section = nullptr;
    bool broken_section = false;
    size_t headers = 0;  // section headers seen, good or bad

    void error(int at, std::string message) { errors.push_back({path, at, std::move(message)}); }

    // Called before each new line: reports a key line inih rejected.
    void finish_line() {
        if (kind == LineKind::Key && !handled)
            error(line, "expected KEY = VALUE, got \"" + std::string(trim(current)) + "\"");
        kind = LineKind::None;
    }

    void start_section(std::string_view header) {
        auto close = header.find(']');
        broken_section = true;
        section = nullptr;
        ++headers;
        if (close == std::string_view::npos) {
            error(line, "section header without a closing ]");
            return;
        }
        auto after = trim(header.substr(close + 1));
        if (!after.empty() && after.front() != ';' && after.front() != '#') {
            error(line, "unexpected text after the section header: \"" + std::string(after) + "\"");
            return;
        }
        std::string name(trim(header.substr(1, close - 1)));
        bool valid = !name.empty() && name.size() <= kMaxNameLength &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                         return std::islower(c) || std::isdigit(c) || c == '-' || c == '_';
                     });
        if (!valid) {
            error(line,
                  "section names are 1-32 characters of a-z, 0-9, - and _, got [" + name + "]");
            return;
        }
        for (const auto& earlier : sections)
            if (earlier.name == name) {
                error(line, "duplicate section [" + name + "], first at line " +
                                std::to_string(earlier.line));
                return;
            }
        sections.push_back({name, line, {}, &path});
        section = &sections.back();
        broken_section = false;
    }

    // inih's reader callback: hands over exactly one line.
    char* next_line(char* buffer, int size) {
        finish_line();
        if (pos >= text.size()) return nullptr;
        auto end = text.find('\n', pos);
        size_t stop = end == std::string::npos ? text.size() : end + 1;
        current.assign(text, pos, stop - pos);
        pos = stop;
        ++line;
        size_t length = current.size();
        if (length > 0 && current[length - 1] == '\n') --length;
        if (length > 0 && current[length - 1] == '\r') --length;
        if (length > kMaxConfigLine) {
            error(line, "line longer than " + std::to_string(kMaxConfigLine) + " bytes");
            current = "\n";
        } else if (current.size() + 1 > static_cast<size_t>(size)) {
            // Only with an inih that ignores ini_initial_alloc: say so rather
            // than cut the line.
            error(line, "line of " + std::to_string(length) +
                            " bytes: the INI library's buffer holds only " +
                            std::to_string(size - 3));
            current = "\n";
        }
        if (current.find('\0') != std::string::npos) {
            error(line, "NUL byte in the file");
            current = "\n";
        }
        auto content = trim(current);
        if (line == 1 && content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
        if (content.empty() || content.front() == ';' || content.front() == '#') {
            kind = LineKind::Blank;
        } else if (content.front() == '[') {
            kind = LineKind::Header;
            start_section(content);
        } else {
            kind = LineKind::Key;
            handled = false;
        }
        std::memcpy(buffer, current.data(), current.size());
        buffer[current.size()] = '\0';
        return buffer;
    }

    void on_key(const char* name, const char* value) {
        handled = true;
        if (broken_section) return;  // already reported at the header
        if (!section) {
            error(line, std::string("\"") + name + "\" is outside any section");
            return;
        }
        if (!*name) {
            error(line, "expected KEY = VALUE, got \"" + std::string(trim(current)) + "\"");
            return;
        }
        section->entries.push_back({name, value, line, &path});
    }
};

char* reader_callback(char* buffer, int size, void* stream) {
    return static_cast<Reader*>(stream)->next_line(buffer, size);
}

int handler_callback(void* user, const char*, const char* name, const char* value) {
    static_cast<Reader*>(user)->on_key(name, value ? value : "");
    return 1;
}

}  // namespace

RawSections read_config_files(const std::vector<ConfigText>& files,
                              std::vector<ConfigError>& errors) {
    // Debian's inih takes its options at run time. Continuation lines would
    // hide line numbers, so they are off.
    ini_allow_multiline = false;
    ini_use_stack = false;
    ini_allow_realloc = false;
    // With realloc off, inih reads every line into a heap buffer of
    // ini_initial_alloc bytes (200 by default), whatever ini_max_line says:
    // both are set, or lines stop at 197 bytes.
    ini_max_line = kIniBuffer;
    ini_initial_alloc = kIniBuffer;
    ini_stop_on_first_error = false;

    // Each file is read on its own (a duplicate section or key within one
    // file is an error), then merged in order: a later file's section adds
    // its keys to an earlier one of the same name, a key set again replaces
    // the earlier value where it stood.
    RawSections raw;
    std::deque<RawSection>& merged = raw.sections;
    for (const auto& file : files) {
        Reader reader{file.text, file.path, errors};
        ini_parse_stream(reader_callback, &reader, handler_callback, &reader);
        raw.headers += reader.headers;
        raw.good_headers += reader.sections.size();
        for (auto& section : reader.sections) {
            auto into = std::find_if(merged.begin(), merged.end(),
                                     [&](const RawSection& s) { return s.name == section.name; });
            if (into == merged.end()) {
                merged.push_back(std::move(section));
                continue;
            }
            for (auto& entry : section.entries) {
                auto earlier = std::find_if(
                    into->entries.begin(), into->entries.end(),
                    [&](const RawEntry& e) { return e.key == entry.key && e.file != entry.file; });
                if (earlier != into->entries.end())
                    *earlier = std::move(entry);
                else
                    into->entries.push_back(std::move(entry));
            }
        }
    }

    return raw;
}

}  // namespace smalld
