#pragma once

#include <string>
#include <string_view>

#include "daemon/core/article.h"

namespace newswire::pipeline {

// The article's identities, set by Normalize on the cleaned text (docs/events.md, "Id
// stability"). Pure and thread-safe.
//
// - id: XXH3-128 of "url:" + UrlIdentityKey(canonical_url), else of the same for url, else of
//   the normalized title, "\n\n" and body. One article keeps its id when its text is corrected
//   or a tracking parameter is added to its link, so the Kafka key (and a compacted topic) follows
//   the article. provenance["id"] says which: "canonical_url", "url" or "text".
// - fingerprints.content_hash: XXH3-128 of the normalized body alone, so the same text under two
//   headlines or two links is recognisably the same text.
// - fingerprints.revision: XXH3-128 of the id, title and body; it changes whenever the article or
//   its visible text changes and stays the same when an input is processed again, which makes it
//   the CloudEvents id (a consumer drops a repeated ce_source + ce_id).
void AssignIdentity(Article& article);

// The part of an absolute http(s) URL that says which page it is, or "" when `url` is not one:
// the scheme is dropped (http and https pages are the same page), the host is lowercased
// without a leading "www.", a trailing dot or a default port, user info and the fragment are
// dropped, a trailing "/" is dropped from the path, and the query keeps its parameters sorted,
// without the tracking ones (utm_*, fbclid, gclid, ...).
// "HTTPS://www.Example.com:443/a/?utm_source=x&b=2#top" gives "example.com/a?b=2".
std::string UrlIdentityKey(std::string_view url);

// XXH3-128 of `text` as 32 lowercase hex digits, the canonical big-endian form `xxhsum -H2`
// prints.
std::string Hash128Hex(std::string_view text);

// XXH3-128 of title + "\n\n" + body, without building the concatenation (the text-based id).
std::string TextHash(std::string_view title, std::string_view body);

}  // namespace newswire::pipeline
