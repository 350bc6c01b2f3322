#pragma once

#include <cstdint>
#include <string_view>

#include "daemon/core/article.h"
#include "daemon/core/error.h"

namespace newswire::pipeline {

// The third stage, after Normalize: will add IPTC topics and named entities (a later issue; no
// tags are made up until then). Today it sets fingerprints.simhash = SimHash(article.body).
// Called by Pipeline::Process; pure and thread-safe.
Result<Article> Classify(Article article);

// 64-bit SimHash (Charikar) over the word 3-shingles of `text`: the text is case-folded (ICU full
// case folding), split into words at every character that is not a letter, combining mark or
// decimal digit, and each run of three consecutive words, joined by single spaces, is hashed with
// XXH3_64bits; every shingle votes on each of the 64 bits. Near-duplicate texts differ in few
// bits (compare with std::popcount(a ^ b)). A text of one or two words is one shingle; a text
// without words gives 0. Fails (stage classify) only if ICU does.
Result<std::uint64_t> SimHash(std::string_view text);

}  // namespace newswire::pipeline
