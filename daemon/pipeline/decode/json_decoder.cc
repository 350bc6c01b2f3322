#include "daemon/pipeline/decode/json_decoder.h"

#include "daemon/pipeline/decode/text_decoder.h"

namespace newswire::pipeline {

// Interim until the JSON decoders land (issue 3): decoded as plain text, as before sniffing.
Result<std::vector<Result<Article>>> DecodeJson(const RawArticle& raw, std::string_view,
                                                const JsonFieldMapping&) {
  return DecodeText(raw);
}

Result<std::vector<Result<Article>>> DecodeJsonLines(const RawArticle& raw, std::string_view,
                                                     const JsonFieldMapping&) {
  return DecodeText(raw);
}

}  // namespace newswire::pipeline
