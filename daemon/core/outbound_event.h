#pragma once

#include <string>
#include <utility>
#include <vector>

namespace newswire {

// Which topic a sink writes an event to: the tagged-article topic, the dead-letter topic, the
// Kafka topic of a route that the article's tags matched, or the topic a forwarding source
// (pipeline: forward) sends raw items to. The last two name their topic in OutboundEvent::topic.
enum class Channel { kEvents, kDeadLetter, kRoute, kForward };

// One Kafka record ready to send: made by the pipeline's encode stage (or the dead-letter
// encoder), moved into a sink, owned by the sink until its delivery report. The sink hands the
// bytes to Kafka without copying them.
struct OutboundEvent {
  Channel channel = Channel::kEvents;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string topic;  // for Channel::kRoute and Channel::kForward only

  // The value of the first header with that name, or "" when absent.
  const std::string& Header(std::string_view name) const {
    static const std::string kEmpty;
    for (const auto& [header_name, header_value] : headers) {
      if (header_name == name) return header_value;
    }
    return kEmpty;
  }
};

}  // namespace newswire
