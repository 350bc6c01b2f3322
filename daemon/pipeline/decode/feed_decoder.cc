#include "daemon/pipeline/decode/feed_decoder.h"

#include "daemon/pipeline/decode/text_decoder.h"

namespace newswire::pipeline {

// Interim until the feed decoder lands (issue 3): decoded as plain text, as before sniffing.
Result<std::vector<Result<Article>>> DecodeFeed(const RawArticle& raw, std::string_view) {
  return DecodeText(raw);
}

}  // namespace newswire::pipeline
