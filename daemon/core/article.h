#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/origin.h"

namespace newswire {

// A person credited on the article: "by James Carter Senior News Editor" is
// {name "James Carter", role "Senior News Editor"}; "by Chief Editor" is {role only}.
struct Person {
  std::string name;
  std::string role;
};

// A span of text that supports a tag: which field, where (byte offsets into that field of the
// normalized article, UTF-8), and what matched.
struct Evidence {
  std::string field;  // "title", "subtitle", "body"
  std::size_t begin_offset = 0;
  std::size_t end_offset = 0;
  std::string text;
  std::string rule_id;  // empty for model evidence
};

// A topic tag, e.g. IPTC Media Topic medtop:11000000 "politics and government".
struct TopicTag {
  std::string scheme;  // "iptc-medtop"
  std::string code;    // "medtop:11000000"
  std::string label;
  double score = 0.0;
  std::vector<std::string> ancestors;  // codes, nearest parent first
  std::string method;                  // "rule" or "model"
  double probability = 0.0;            // model only
  std::vector<Evidence> evidence;
};

// A named entity: a country, person or organization, with its mentions.
struct Entity {
  std::string type;  // "country", "person", "organization"
  std::string name;
  std::string identifier;  // ISO 3166 code, Wikidata id, ...
  double score = 0.0;      // salience times confidence (lower for people found by a role word)
  std::vector<Evidence> mentions;  // the first few (kMaxMentionsPerEntity)
  std::size_t mention_count = 0;   // every mention, in title and body
  std::size_t first_offset = 0;    // byte offset of the first mention in the body; 0 if title only
  double salience = 0.0;           // 0..1: title, lead and frequency (docs/entities.md)
};

// Identities of the article's content, for duplicate and story detection.
struct Fingerprints {
  std::string content_hash;     // XXH3-128 of the normalized body, 32 hex digits
  std::string revision;         // XXH3-128 of id, title and body: the CloudEvents id
  std::uint64_t simhash = 0;    // 64-bit SimHash over word shingles of the body
  std::string duplicate_of;     // id of an earlier near-duplicate, when known
  int duplicate_distance = -1;  // SimHash bits it differs in (0: same body); -1 without one
  std::string story_id;         // id of the story cluster, when known
};

// One question and its answer, from an FAQ block (schema.org FAQPage) kept as structured data.
struct QuestionAnswer {
  std::string question;
  std::string answer;
};

// Facts about the article a consumer may filter on.
struct ArticleFlags {
  bool paywall = false;    // the text says the rest is for subscribers
  bool truncated = false;  // the body is cut short (a teaser, "read more")
  bool faq = false;        // an FAQ was found and kept in `faq`
  // The input has no title: the event's title is `derived_title`, the body's first sentence.
  bool title_derived = false;
};

// What normalization did, so a consumer or operator can judge the input's quality.
struct NormalizationStats {
  std::size_t input_bytes = 0;
  std::size_t replaced_sequences = 0;  // invalid byte sequences replaced by U+FFFD
  std::size_t paragraphs = 0;
  std::size_t words = 0;
  std::size_t characters = 0;              // Unicode code points in title and body
  std::size_t boilerplate_characters = 0;  // removed as navigation, ads, furniture, raw JSON
};

// The article as it moves through the pipeline: decode fills the text and what metadata the
// format carries, normalize cleans it and gives it an id, classify adds tags and entities, and
// encode turns it into an OutboundEvent. A plain value; each stage takes it by value and returns
// it, so a worker thread owns it alone.
struct Article {
  // Who the article is: the hash of its canonical URL, else of its text (AssignIdentity in
  // pipeline/normalize/identity.h). It is the Kafka key, so every version of one article lands
  // in one partition; fingerprints.revision tells versions apart.
  std::string id;
  Origin origin;
  // Index of the article within its source item (a JSON Lines file or feed holds many).
  std::size_t item_index = 0;
  std::string format;  // "text", "html", "json", "jsonl", "rss", "atom"

  std::string title;  // the headline the input has; empty when it has none
  // The event's title when `title` is empty: the body's first sentence, set by Normalize
  // (flags.title_derived, provenance "title": "first_sentence"). Kept out of `title` so that the
  // article's own text alone makes its id, revision and statistics and feeds the classifier: the
  // first sentence is not counted twice, as lead and again as headline evidence.
  std::string derived_title;
  std::string subtitle;
  // Paragraphs separated by one blank line ("\n\n"); no leading or trailing whitespace.
  std::string body;

  std::string language;  // BCP 47, e.g. "en"; empty when unknown
  std::string url;
  std::string canonical_url;
  std::vector<Person> authors;
  std::string publisher;
  std::string published_time;         // RFC 3339, empty when unknown
  std::string modified_time;          // RFC 3339, empty when unknown
  std::vector<std::string> sections;  // breadcrumbs, categories
  std::vector<std::string> keywords;
  std::map<std::string, std::string> metadata;  // format-specific extras worth keeping
  // Where each metadata field came from: field name ("title", "authors", "published_time", ...)
  // -> "json-ld", "meta", "feed", "byline", "heuristic", "text", "first_sentence" (title).
  std::map<std::string, std::string> provenance;
  double language_confidence = 0.0;  // 0..1, from language detection
  std::string charset;               // the input's character set before conversion to UTF-8
  std::vector<QuestionAnswer> faq;
  ArticleFlags flags;

  std::vector<TopicTag> topics;
  std::vector<Entity> entities;
  std::string primary_country;  // ISO 3166-1 alpha-2 of the most salient country; empty if none
  std::string primary_region;   // its region (docs/entities.md); empty when none or unknown
  Fingerprints fingerprints;
  NormalizationStats stats;
};

}  // namespace newswire
