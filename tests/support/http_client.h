#pragma once

#include <string>

// A minimal HTTP client for tests that scrape the daemon's operator endpoint (/metrics, /health,
// /ready) as Prometheus or a load balancer would.
namespace newswire::testing {

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

// One GET over a fresh TCP connection to "127.0.0.1:port"; the server closes after answering.
HttpReply HttpGet(const std::string& address, const std::string& path);

// The value of the sample line of Prometheus text `metrics` that starts with `series` ("name" or
// "name{labels}"), or -1 when there is none.
double Sample(const std::string& metrics, const std::string& series);

}  // namespace newswire::testing
