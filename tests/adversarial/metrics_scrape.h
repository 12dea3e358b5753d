// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A daemon's /metrics read over HTTP and parsed, so that a test can pick a
// sample by its name and some of its labels, whatever their order and
// whatever other labels it has. Bounded by the harness's waits.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace metrics_scrape {

// The daemon's /metrics: each sample's name, labels and value.
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};
using Scrape = std::vector<Sample>;

inline Scrape scrape(uint16_t port) {
    Scrape out;
    int fd = harness::tcp_connect(port);
    if (fd < 0) return out;
    harness::send_all(fd, "GET /metrics HTTP/1.0\r\n\r\n");
    std::string text = harness::recv_until_eof(fd, 16 << 20);
    close(fd);
    size_t at = text.find("\r\n\r\n");
    std::istringstream lines(at == std::string::npos ? "" : text.substr(at + 4));
    std::string row;
    while (std::getline(lines, row)) {
        size_t space = row.rfind(' ');
        if (row.empty() || row[0] == '#' || space == std::string::npos) continue;
        Sample sample;
        size_t brace = row.find('{');
        sample.name = row.substr(0, std::min(brace, space));
        for (size_t i = brace; brace != std::string::npos && i < space && row[i] != '}';) {
            size_t eq = row.find("=\"", i + 1);
            size_t end = row.find('"', eq + 2);  // smalld's values hold no quotes
            if (eq == std::string::npos || end == std::string::npos) break;
            sample.labels[row.substr(i + 1, eq - i - 1)] = row.substr(eq + 2, end - eq - 2);
            i = end + 1;
        }
        sample.value = strtod(row.c_str() + space + 1, nullptr);
        out.push_back(std::move(sample));
    }
    return out;
}

// The value of the sample `name` whose labels include `labels`; -1 if none.
inline double value(const Scrape& m, const std::string& name,
                    const std::map<std::string, std::string>& labels) {
    for (const Sample& s : m) {
        if (s.name != name) continue;
        bool match = true;
        for (const auto& [k, v] : labels) {
            auto it = s.labels.find(k);
            match = match && it != s.labels.end() && it->second == v;
        }
        if (match) return s.value;
    }
    return -1;
}

}  // namespace metrics_scrape
