#include "daemon/pipeline/encode/forward_encoder.h"

#include <utility>

#include "daemon/pipeline/normalize/identity.h"

namespace newswire::pipeline {

OutboundEvent EncodeForwarded(RawArticle raw, const std::string& topic,
                              const std::string& source_uri) {
  OutboundEvent event;
  event.channel = Channel::kForward;
  event.topic = topic;
  event.key = Hash128Hex(raw.bytes);
  AppendOriginHeaders(raw.origin, event.headers);
  event.headers.emplace_back("newswire-source-uri", source_uri);
  if (!raw.content_type.empty()) event.headers.emplace_back("content-type", raw.content_type);
  event.value = std::move(raw.bytes);
  return event;
}

}  // namespace newswire::pipeline
