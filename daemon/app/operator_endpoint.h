#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/core/error.h"
#include "daemon/http/http_server.h"
#include "daemon/metrics/registry.h"

namespace newswire::app {

// The operator endpoint (http.*): GET /metrics renders `registry` in the Prometheus text format,
// GET /ready answers 200 once intake runs, GET /health 200 or 503 with the reasons as JSON.
// The app says what ready and healthy mean through the two callbacks.
// Threads: everything, the callbacks and the metric collectors included, runs on the io thread.
// Owned by the app; the registry and whatever the callbacks read outlive it.
class OperatorEndpoint {
 public:
  struct Probes {
    std::function<bool()> ready;
    // Why newswire is not healthy; empty when it is.
    std::function<std::vector<std::string>()> health_problems;
  };

  OperatorEndpoint(asio::io_context& io, const config::HttpConfig& config,
                   const metrics::Registry& registry, Probes probes);

  // Listens. An error is a start-up failure.
  Result<void> Start();
  // Writes "address:port" to http.address_file, when one is set. An error is a start-up failure.
  Result<void> WriteAddressFile() const;
  void Stop();
  // "127.0.0.1:9681", once started.
  std::string address() const;

 private:
  const config::HttpConfig& config_;
  const metrics::Registry& registry_;
  Probes probes_;
  http::HttpServer server_;
};

}  // namespace newswire::app
