// SPDX-License-Identifier: BSD-2-Clause
// RFC 865: one quote of at most 512 characters, then close.
#include <cstring>

#include "parse.h"
#include "regular_file.h"
#include "service_registry.h"
#include "services.h"

namespace smalld {

const std::vector<std::string>& builtin_quotes() {
    // Short ones first: they fit the default UDP amplification cap of 32 bytes.
    static const std::vector<std::string> quotes = {
        "Know thyself.\r\n",
        "Make haste slowly.\r\n",
        "Less is more.\r\n",
        "Simplicity is prerequisite for reliability.\r\n    -- Edsger W. Dijkstra\r\n",
        "Be conservative in what you do, be liberal in what you accept from others.\r\n"
        "    -- Jon Postel, RFC 793\r\n",
        "The network is the computer.\r\n    -- John Gage\r\n",
        "Premature optimization is the root of all evil.\r\n    -- Donald Knuth\r\n",
        "There are two ways of constructing a software design: one way is to make it so\r\n"
        "simple that there are obviously no deficiencies, and the other way is to make it\r\n"
        "so complicated that there are no obvious deficiencies.\r\n    -- C. A. R. Hoare\r\n",
        "We reject kings, presidents and voting. We believe in rough consensus and\r\n"
        "running code.\r\n    -- David Clark\r\n",
    };
    return quotes;
}

const std::string* pick_quote(const std::vector<std::string>& quotes, uint64_t random, size_t cap) {
    size_t fitting = 0;
    for (const auto& q : quotes) fitting += q.size() <= cap;
    if (fitting == 0) return nullptr;
    size_t choice = random % fitting;
    for (const auto& q : quotes)
        if (q.size() <= cap && choice-- == 0) return &q;
    return nullptr;
}

namespace {

class QotdService final : public Service {
  public:
    QotdService(const InstanceConfig& config, Random random)
        : quotes_(own_settings<QotdSettings>(config).quotes), random_(random) {
        if (quotes_.empty()) quotes_ = builtin_quotes();
    }

    StreamMode stream_mode() const override { return StreamMode::Message; }
    std::string message(WallTime, const SockAddr&) override {
        return *pick_quote(quotes_, random_.next());
    }
    ptrdiff_t datagram(Datagram&, std::span<uint8_t> out) override {
        const std::string* quote = pick_quote(quotes_, random_.next(), out.size());
        if (!quote) return kReplyTooLarge;
        std::memcpy(out.data(), quote->data(), quote->size());
        return static_cast<ptrdiff_t>(quote->size());
    }

  private:
    std::vector<std::string> quotes_;
    Random random_;
};

}  // namespace

std::unique_ptr<Service> make_qotd_service(const InstanceConfig& config, Random random) {
    return std::make_unique<QotdService>(config, random);
}

// The type's own keys (config_table.h) and its row in the catalogue.
namespace {

const KeySpec kQuotesKey{
    Scope::Instance,
    "quotes",
    "",
    "qotd: file of quotes separated by lines holding only %; empty = the built-in set",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        (void)e;
        own_settings<QotdSettings>(*i).quotes_file = v;
        return true;
    },
    /*names_file=*/true};

const KeySpec* const kKeys[] = {&kQuotesKey};

// The quotes file: quotes separated by lines holding only %, each at most 510
// characters (512 with its final CRLF, RFC 865).
void load_quotes(InstanceConfig& config, const SectionPlace& place,
                 std::vector<ConfigError>& errors) {
    QotdSettings& settings = own_settings<QotdSettings>(config);
    const std::string& path = settings.quotes_file;
    if (path.empty()) return;
    std::string reason;
    std::optional<std::string> contents = read_regular_file(path, kMaxConfigFileBytes, &reason);
    if (!contents) {
        errors.push_back(place.at("quotes", "quotes: " + path + ": " + reason));
        return;
    }
    std::string line, quote;
    int line_no = 0, quote_start = 1;
    auto finish = [&] {
        auto text = std::string(trim(quote));
        // The limit is on what goes out: the quote and its final CRLF.
        if (text.size() + 2 > kMaxQuoteLength)
            errors.push_back({path, quote_start,
                              "quote of " + std::to_string(text.size()) +
                                  " characters; at most 510 are allowed (512 with the "
                                  "final CRLF, RFC 865)"});
        else if (!text.empty())
            settings.quotes.push_back(text + "\r\n");
        quote.clear();
        quote_start = line_no + 1;
    };
    for (size_t at = 0; at < contents->size();) {
        size_t end = contents->find('\n', at);
        if (end == std::string::npos) end = contents->size();
        line.assign(*contents, at, end - at);
        at = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line == "%") {
            finish();
            continue;
        }
        quote += line;
        quote += "\r\n";
    }
    finish();
    if (settings.quotes.empty())
        errors.push_back(place.at("quotes", "quotes: \"" + path + "\" holds no quotes"));
}

}  // namespace

extern const ServiceSpec kQotdSpec{
    .title = "qotd (RFC 865)",
    .standard_port = 17,
    .make = [](const InstanceConfig& c, StatusRenderer&) { return make_qotd_service(c); },
    .settings = own_settings_of<QotdSettings>,
    .keys = kKeys,
    .load = load_quotes,
};

}  // namespace smalld
