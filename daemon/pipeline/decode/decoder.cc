#include "daemon/pipeline/decode/decoder.h"

#include "daemon/pipeline/decode/text_decoder.h"

namespace newswire::pipeline {

// The seam for more formats: sniff the leading bytes (after a BOM and whitespace) here, e.g.
// "<" for HTML/RSS/Atom and "{" on every line for JSON Lines, and route to that format's
// decoder. Everything that matches nothing else is plain text, which is also what a sniffing
// miss should fall back to.
Result<std::vector<Result<Article>>> Decode(const RawArticle& raw) { return DecodeText(raw); }

}  // namespace newswire::pipeline
