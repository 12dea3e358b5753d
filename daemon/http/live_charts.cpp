// SPDX-License-Identifier: BSD-2-Clause
// The live page's charts as inline SVG, drawn by the daemon so that the page
// needs no script to show them: attributes only (no style attribute, which
// the page's Content-Security-Policy forbids), text escaped.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "live_page.h"

namespace smalld {

namespace {

// The plot area inside the 400 x 130 view box.
constexpr double kLeft = 52, kRight = 394, kTop = 8, kBottom = 100;

std::string fixed(double value, int decimals = 1) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

double at(const nlohmann::json& values, size_t i) {
    return values[i].is_number() ? values[i].get<double>() : 0.0;
}

// 1, 2 or 5 times a power of ten, at least `value`.
double nice_ceiling(double value) {
    if (value <= 0) return 1;
    double decade = std::pow(10, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0})
        if (step * decade >= value * 0.9999) return step * decade;
    return 10 * decade;
}

struct Scale {
    bool log = false;
    double top = 1;         // linear: the axis' top value
    int low = 0, high = 1;  // log: the decades shown
    double y(double value) const {
        if (!log) return kBottom - (kBottom - kTop) * std::clamp(value / top, 0.0, 1.0);
        if (value <= 0) return kBottom;
        double d = (std::log10(value) - low) / double(high - low);
        return kBottom - (kBottom - kTop) * std::clamp(d, 0.0, 1.0);
    }
};

Scale scale_of(const std::vector<ChartSeries>& series) {
    double max = 0, min_positive = 0;
    for (const auto& s : series)
        for (size_t i = 0; i < s.values->size(); ++i) {
            double v = at(*s.values, i);
            max = std::max(max, v);
            if (v > 0 && (min_positive == 0 || v < min_positive)) min_positive = v;
        }
    Scale scale;
    if (min_positive > 0 && max / min_positive >= 1000) {
        scale.log = true;
        scale.low = int(std::floor(std::log10(min_positive)));
        scale.high = std::max(scale.low + 1, int(std::ceil(std::log10(max))));
    } else {
        scale.top = nice_ceiling(max);
    }
    return scale;
}

std::string text(double x, double y, const char* anchor, const std::string& content) {
    return "<text x=\"" + fixed(x) + "\" y=\"" + fixed(y) + "\" text-anchor=\"" + anchor + "\">" +
           html_escape(content) + "</text>";
}

std::string hline(double y, const char* cls) {
    return "<line class=\"" + std::string(cls) + "\" x1=\"" + fixed(kLeft) + "\" x2=\"" +
           fixed(kRight) + "\" y1=\"" + fixed(y) + "\" y2=\"" + fixed(y) + "\"/>";
}

std::string axes(const Scale& scale, std::string (*format)(double), size_t slots, double step) {
    std::string out;
    auto tick = [&](double value, double y) {
        out += hline(y, "grid") + text(kLeft - 4, y + 3.5, "end", format(value));
    };
    if (scale.log) {
        tick(0, kBottom);
        int every = (scale.high - scale.low + 3) / 4;  // at most five labels
        for (int d = scale.low; d <= scale.high; d += every)
            tick(std::pow(10, d), scale.y(std::pow(10, d)));
    } else {
        for (int i = 0; i <= 2; ++i) tick(scale.top * i / 2, scale.y(scale.top * i / 2));
    }
    // Time: a label every minute, "now" at the right edge.
    double minutes = double(slots) * step / 60;
    for (int m = int(minutes); m >= 0; --m) {
        double x =
            kRight - (kRight - kLeft) * (m * 60.0 / step) / double(std::max<size_t>(slots, 1));
        out += text(x, kBottom + 14, m == 0 ? "end" : "middle",
                    m == 0 ? "now" : "\u2212" + std::to_string(m) + " min");
    }
    if (scale.log) out += text(kRight, kTop - 1, "end", "log scale");
    return out;
}

std::string polyline(const nlohmann::json& values, size_t slots, const Scale& scale,
                     const std::string& cls, double left = kLeft, double right = kRight) {
    size_t n = values.size();
    slots = std::max(slots, n);
    std::string points;
    for (size_t i = 0; i < n; ++i) {
        if (!values[i].is_number()) continue;  // not known (null): no point, never a 0
        double x =
            slots > 1 ? left + (right - left) * double(slots - n + i) / double(slots - 1) : right;
        points += fixed(x) + "," + fixed(scale.y(at(values, i))) + " ";
    }
    return "<polyline class=\"line " + cls + "\" points=\"" + points + "\"/>";
}

}  // namespace

std::string render_chart(const std::string& id, const std::string& title,
                         std::string (*format)(double), const std::vector<ChartSeries>& series,
                         size_t slots, double step_seconds) {
    Scale scale = scale_of(series);
    double now = 0, peak = 0;
    for (const auto& s : series) {
        if (!s.values->empty()) now += at(*s.values, s.values->size() - 1);
        for (size_t i = 0; i < s.values->size(); ++i) peak = std::max(peak, at(*s.values, i));
    }
    // A sparkline (no id: there is one in every row) has no caption; its
    // lines overlap (drops are datagrams too), so they add up to nothing.
    std::string out = "<figure class=\"chart small\">";
    if (!id.empty())
        out = "<figure class=\"card chart\" id=\"chart-" + id + "\"><figcaption>" +
              html_escape(title) + " <b id=\"now-" + id + "\">" + html_escape(format(now)) +
              "</b><small>peak <span id=\"peak-" + id + "\">" + html_escape(format(peak)) +
              "</span></small></figcaption>";
    out += "<svg viewBox=\"0 0 400 118\" role=\"img\" aria-label=\"" + html_escape(title) +
           ", the last five minutes\">";
    out += axes(scale, format, slots, step_seconds);
    for (size_t i = 0; i < series.size(); ++i)
        out += polyline(*series[i].values, slots, scale, "s" + std::to_string(i % 6));
    out += "</svg>";
    if (series.size() > 1 || (series.size() == 1 && !series[0].name.empty())) {
        out += "<ul class=\"legend\">";
        for (size_t i = 0; i < series.size(); ++i)
            out += "<li class=\"s" + std::to_string(i % 6) + "\">" + html_escape(series[i].name) +
                   "</li>";
        out += "</ul>";
    }
    return out + "</figure>\n";
}

// A row's sparkline in 5-second steps (averages), newest aligned: a fifth
// of the points, as the page is fetched again every second.
constexpr size_t kSparkStep = 5;

nlohmann::json coarse(const nlohmann::json& values) {
    nlohmann::json out = nlohmann::json::array();
    if (!values.is_array()) return out;
    size_t n = values.size(), first = n % kSparkStep;
    for (size_t i = first; i + kSparkStep <= n; i += kSparkStep) {
        double sum = 0;
        for (size_t j = i; j < i + kSparkStep; ++j) sum += at(values, j);
        out.push_back(sum / kSparkStep);
    }
    return out;
}

std::string render_sparkline(const nlohmann::json& row_series, size_t slots) {
    auto series = [&](const char* key) {
        auto it = row_series.is_object() ? row_series.find(key) : row_series.end();
        return coarse(it != row_series.end() ? *it : nlohmann::json());
    };
    nlohmann::json traffic = series("traffic"), problems = series("problems");
    std::vector<ChartSeries> both = {{"sessions + datagrams /s, 5 s means", &traffic},
                                     {"refused + dropped /s", &problems}};
    return render_chart("", "", units::count, both, slots / kSparkStep, kSparkStep);
}

std::string render_histogram(const nlohmann::json& buckets) {
    double most = 0, all = 0;
    for (const auto& b : buckets) {
        most = std::max(most, b[1].get<double>());
        all += b[1].get<double>();
    }
    if (all == 0) return "<p class=\"empty\">nothing reflected yet</p>";
    std::string out = "<svg class=\"histogram\" viewBox=\"0 0 400 " +
                      std::to_string(buckets.size() * 14 + 4) +
                      "\" role=\"img\" aria-label=\"processing time histogram\">";
    double y = 2;
    std::string previous = "0";
    for (const auto& b : buckets) {
        double n = b[1].get<double>();
        std::string label =
            b[0].is_null() ? "> " + previous : "\u2264 " + units::duration(b[0].get<double>());
        if (!b[0].is_null()) previous = units::duration(b[0].get<double>());
        double width = most > 0 ? 250 * n / most : 0;
        out += text(76, y + 10, "end", label);
        out += "<rect x=\"80\" y=\"" + fixed(y + 1) + "\" width=\"" +
               fixed(std::max(width, n > 0 ? 1.0 : 0.0)) + "\" height=\"11\"/>";
        out +=
            text(84 + width, y + 10, "start", units::count(n) + " (" + fixed(100 * n / all) + "%)");
        y += 14;
    }
    return out + "</svg>";
}

}  // namespace smalld
