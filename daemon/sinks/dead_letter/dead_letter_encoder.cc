#include "daemon/sinks/dead_letter/dead_letter_encoder.h"

#include <fmt/format.h>

#include <ctime>

namespace newswire::sinks {
namespace {

std::string DeadLetterKey(const Origin& origin) {
  switch (origin.kind) {
    case Origin::Kind::kFile:
      return origin.path;
    case Origin::Kind::kKafka:
      return fmt::format("{}/{}/{}", origin.topic, origin.partition, origin.offset);
    case Origin::Kind::kStdin:
      return origin.source_name;
  }
  return origin.source_name;
}

}  // namespace

std::string FormatRfc3339Milliseconds(std::chrono::system_clock::time_point time) {
  const auto whole_seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto milliseconds =
      std::chrono::duration_cast<std::chrono::milliseconds>(time - whole_seconds).count();
  const std::time_t seconds_since_epoch = std::chrono::system_clock::to_time_t(whole_seconds);
  std::tm utc{};
  gmtime_r(&seconds_since_epoch, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     milliseconds);
}

OutboundEvent EncodeDeadLetter(const DeadLetter& record, std::size_t max_payload_bytes) {
  OutboundEvent event;
  event.channel = Channel::kDeadLetter;
  event.key = DeadLetterKey(record.origin);
  if (record.payload_read) {
    event.value.assign(record.payload.substr(0, max_payload_bytes));
  }
  const bool truncated = record.payload_read && event.value.size() < record.original_size;

  auto& headers = event.headers;
  headers.reserve(15);
  headers.emplace_back("newswire-stage", StageName(record.error.stage));
  headers.emplace_back("newswire-error-code", ErrorCodeName(record.error.code));
  headers.emplace_back("newswire-error", record.error.message);
  AppendOriginHeaders(record.origin, headers);
  headers.emplace_back("newswire-time", FormatRfc3339Milliseconds(record.time));
  headers.emplace_back("newswire-source-uri", record.source_uri);
  headers.emplace_back("newswire-input-location", record.origin.location);
  headers.emplace_back("newswire-payload-bytes", std::to_string(record.original_size));
  headers.emplace_back("newswire-payload-read", record.payload_read ? "true" : "false");
  headers.emplace_back("newswire-payload-truncated", truncated ? "true" : "false");
  return event;
}

}  // namespace newswire::sinks
