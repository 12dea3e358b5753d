#pragma once
// The Prometheus endpoint: libevent's evhttp serving GET /metrics in text
// format 0.0.4, rendered from the same statistics as everything else.

#include <memory>
#include <optional>

#include "address.h"
#include "event_handle.h"

struct evhttp;
struct evconnlistener;
struct evhttp_request;

namespace smalld {

class Daemon;
struct StartError;

class MetricsServer {
  public:
    explicit MetricsServer(Daemon& daemon);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds config().metrics.listen; logs the address with the actual port.
    std::optional<StartError> start();
    const SockAddr& actual() const { return actual_; }

  private:
    static void on_request_cb(evhttp_request* request, void* self);
    void handle(evhttp_request* request);
    static void on_accept_error_cb(evconnlistener* listener, void* http);
    static void on_resume_cb(evutil_socket_t, short, void* self);

    struct HttpDeleter {
        void operator()(evhttp* http) const;
    };

    Daemon& daemon_;
    std::unique_ptr<evhttp, HttpDeleter> http_;
    SockAddr actual_;
    evconnlistener* listener_ = nullptr;  // owned by http_
    EventHandle resume_;                  // accept paused on EMFILE/ENFILE
};

}  // namespace smalld
