#include "metrics_http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "build_config.h"
#include "contain.h"
#include "daemon.h"
#include "log.h"
#include "render.h"

namespace smalld {

namespace {

constexpr timeval kAcceptPause = {1, 0};
LogLimiter accept_log("metrics: accept errors", 5, std::chrono::seconds(10));
// libevent hands the error callback the evhttp, not us; there is one server.
MetricsServer* current = nullptr;

}  // namespace

void MetricsServer::HttpDeleter::operator()(evhttp* http) const {
    evhttp_free(http);
}

MetricsServer::MetricsServer(Daemon& daemon) : daemon_(daemon) {}

MetricsServer::~MetricsServer() {
    if (current == this) current = nullptr;
}

std::optional<StartError> MetricsServer::start() {
    const SockAddr& want = *daemon_.config().metrics.listen;
    http_.reset(evhttp_new(daemon_.base()));
    if (!http_) return StartError{71, "metrics: cannot create the HTTP server"};
    // A scrape is one small request; keep slow or greedy clients cheap.
    evhttp_set_timeout(http_.get(), 10);
    evhttp_set_max_headers_size(http_.get(), 8192);
    evhttp_set_max_body_size(http_.get(), 0);
    evhttp_set_gencb(http_.get(), on_request_cb, this);
    std::string host = want.host();
    evhttp_bound_socket* bound =
        evhttp_bind_socket_with_handle(http_.get(), host.c_str(), want.port());
    if (!bound)
        return StartError{71, "metrics: cannot listen on " + want.to_string() + ": " +
                                  strerror(errno) +
                                  (want.port() < 1024 && errno == EACCES
                                       ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                                       : "")};
    // libevent logs an accept error and keeps the socket armed: out of
    // descriptors, that is a busy loop. Pause instead, as the service listeners do.
    listener_ = evhttp_bound_socket_get_listener(bound);
    resume_.reset(event_new(daemon_.base(), -1, 0, on_resume_cb, this));
    current = this;
    evconnlistener_set_error_cb(listener_, on_accept_error_cb);
    actual_.len = sizeof actual_.storage;
    if (getsockname(evhttp_bound_socket_get_fd(bound), actual_.get(), &actual_.len) != 0)
        actual_ = want;
    LOG_NOTICE("metrics: listening on http://%s/metrics", actual_.to_string().c_str());
    return std::nullopt;
}

void MetricsServer::on_accept_error_cb(evconnlistener*, void*) {
    MetricsServer* server = current;
    int err = errno;
    if (!server) return;
    bool out_of_resources = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
    contain("metrics accept", [&] {
        accept_log.write(LogLevel::Warning, "metrics: accept on %s: %s%s",
                         server->actual_.to_string().c_str(), strerror(err),
                         out_of_resources ? "; pausing accept for 1s" : "");
    });
    if (!out_of_resources) return;
    evconnlistener_disable(server->listener_);
    event_add(server->resume_.get(), &kAcceptPause);
}

void MetricsServer::on_resume_cb(evutil_socket_t, short, void* self) {
    auto* server = static_cast<MetricsServer*>(self);
    evconnlistener_enable(server->listener_);
}

void MetricsServer::on_request_cb(evhttp_request* request, void* self) {
    // Logged and contained; the request is left to the connection's timeout,
    // as answering it could touch a request handle() already replied to.
    contain("metrics", [&] { static_cast<MetricsServer*>(self)->handle(request); });
}

void MetricsServer::handle(evhttp_request* request) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
    const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
    evkeyvalq* headers = evhttp_request_get_output_headers(request);
    evbuffer* body = evbuffer_new();
    if (!body) {
        evhttp_send_error(request, HTTP_INTERNAL, nullptr);
        return;
    }
    auto method = evhttp_request_get_command(request);
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(headers, "Allow", "GET, HEAD");
        evhttp_send_reply(request, 405, "Method Not Allowed", nullptr);
        evbuffer_free(body);
        return;
    }
    if (path && strcmp(path, "/metrics") == 0) {
        std::string text = render_prometheus(daemon_.stats(), SMALLD_VERSION);
        evbuffer_add(body, text.data(), text.size());
        evhttp_add_header(headers, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        evhttp_send_reply(request, HTTP_OK, "OK", body);
    } else {
        static const char kNotFound[] = "not found; try /metrics\n";
        evbuffer_add(body, kNotFound, sizeof kNotFound - 1);
        evhttp_add_header(headers, "Content-Type", "text/plain; charset=utf-8");
        evhttp_send_reply(request, HTTP_NOTFOUND, "Not Found", body);
    }
    evbuffer_free(body);
}

}  // namespace smalld
