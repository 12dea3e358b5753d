// RFC 865: one quote of at most 512 characters, then close.
#include <cstring>

#include "config_table.h"
#include "parse.h"
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
        : quotes_(config.quotes.empty() ? builtin_quotes() : config.quotes), random_(random) {}

    StreamMode stream_mode() const override { return StreamMode::Message; }
    std::string message(WallTime) override { return *pick_quote(quotes_, random_.next()); }
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

// The type's own keys (config_table.h); the registry lists them in its row.
namespace {

const KeySpec kQuotesKey{
    Scope::Instance,
    "quotes",
    "",
    "qotd: file of quotes separated by lines holding only %; empty = the built-in set",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        (void)e;
        i->quotes_file = v;
        return true;
    }};

}  // namespace

std::span<const KeySpec* const> qotd_keys() {
    static const KeySpec* const keys[] = {&kQuotesKey};
    return keys;
}

}  // namespace smalld
