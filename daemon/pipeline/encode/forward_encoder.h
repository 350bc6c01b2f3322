#pragma once

#include <string>

#include "daemon/core/outbound_event.h"
#include "daemon/core/raw_article.h"

namespace newswire::pipeline {

// A raw item as a forwarding source (`pipeline: forward`) publishes it: the bytes as they came,
// keyed by their hash (the same bytes land in the same partition), with where they came from in
// the headers. The instances that consume `topic` decode, classify and publish it. Pure; the
// daemon's workers and `newswire process --source` call it.
OutboundEvent EncodeForwarded(RawArticle raw, const std::string& topic,
                              const std::string& source_uri);

}  // namespace newswire::pipeline
