#include "daemon/app/operator_endpoint.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <exception>

#include "daemon/app/file_writer.h"
#include "daemon/metrics/text_format.h"

namespace newswire::app {
namespace {

http::HttpResponse Json(int status, const std::string& text) {
  return http::HttpResponse{
      .status = status, .content_type = "application/json", .body = text + "\n"};
}

}  // namespace

OperatorEndpoint::OperatorEndpoint(asio::io_context& io, const config::HttpConfig& config,
                                   const metrics::Registry& registry, Probes probes)
    : config_(config), registry_(registry), probes_(std::move(probes)), server_(io) {
  server_.Route("/metrics", [this](const http::HttpRequest&) {
    try {
      return http::HttpResponse{.status = 200,
                                .content_type = std::string(metrics::kTextFormatContentType),
                                .body = registry_.Render()};
    } catch (const std::exception& error) {
      // A collector returned inconsistent samples: a bug, but the scrape must say so.
      spdlog::error("GET /metrics: cannot render the metrics: {}", error.what());
      return http::HttpResponse{
          .status = 500,
          .content_type = "text/plain; charset=utf-8",
          .body = fmt::format("cannot render the metrics: {}\n", error.what())};
    }
  });
  server_.Route("/ready", [this](const http::HttpRequest&) {
    return probes_.ready() ? Json(200, R"({"status":"ready"})")
                           : Json(503, R"({"status":"not ready"})");
  });
  server_.Route("/health", [this](const http::HttpRequest&) {
    const std::vector<std::string> problems = probes_.health_problems();
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("status");
    writer.String(problems.empty() ? "ok" : "unhealthy");
    writer.Key("problems");
    writer.StartArray();
    for (const std::string& problem : problems) {
      writer.String(problem.data(), static_cast<rapidjson::SizeType>(problem.size()));
    }
    writer.EndArray();
    writer.EndObject();
    return Json(problems.empty() ? 200 : 503, buffer.GetString());
  });
}

Result<void> OperatorEndpoint::Start() {
  if (auto listening = server_.Listen(config_.address, static_cast<std::uint16_t>(config_.port));
      !listening) {
    return listening;
  }
  spdlog::info("operator endpoint on http://{}/ (metrics, health, ready)", address());
  return {};
}

Result<void> OperatorEndpoint::WriteAddressFile() const {
  if (config_.address_file.empty()) return {};
  return WriteFileAtomically(config_.address_file, address() + "\n");
}

void OperatorEndpoint::Stop() { server_.Stop(); }

std::string OperatorEndpoint::address() const {
  const bool ipv6 = config_.address.find(':') != std::string::npos;
  return ipv6 ? fmt::format("[{}]:{}", config_.address, server_.port())
              : fmt::format("{}:{}", config_.address, server_.port());
}

}  // namespace newswire::app
