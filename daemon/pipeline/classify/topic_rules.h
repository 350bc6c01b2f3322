#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/folding.h"
#include "daemon/pipeline/classify/taxonomy.h"

namespace newswire::pipeline {

// One rule file's name (for error messages) and contents. The daemon reads the files; the rule
// set only parses text, so it is tested without a file system.
struct RuleSource {
  std::string name;
  std::string text;
};

// Where in the article a rule looks. The lead is the body's first paragraph; a match there
// counts as lead, not also as body.
enum class RuleScope : unsigned { kTitle = 1, kLead = 2, kBody = 4 };

// Points a match earns by where it is: a word in the headline says more about the topic than
// the same word deep in the body.
inline constexpr double kTitleMatchPoints = 3.0;
inline constexpr double kLeadMatchPoints = 2.0;
inline constexpr double kBodyMatchPoints = 1.0;
// Occurrences of one pattern beyond this many add nothing: one word repeated is not more evidence.
inline constexpr std::size_t kMaxCountedOccurrences = 3;
// A tag's score is 1 - exp(-points / kScorePointsScale): 0..1, rising fast for the first
// matches and saturating.
inline constexpr double kScorePointsScale = 4.0;
// Evidence kept per tag; the event stays small however often a term occurs.
inline constexpr std::size_t kMaxEvidencePerTag = 5;

// Topic rules (docs/rules.md is the language's reference), compiled once into a single
// Vectorscan database: every pattern of every rule is matched in one pass over each field, on
// the folded text (folding.h: case, accents, typographic quotes and dashes), with offsets
// mapped back to the normalized text for evidence.
//
// A rule file is YAML:
//   rules:
//     - id: diplomacy                 # unique across all files
//       topic: medtop:20000639        # an active IPTC Media Topic (taxonomy)
//       any: [embassy, "foreign minister", "diplomat*", "re:ambassadors? to"]
//       all: [[talks, summit], [minister, president]]   # each group must match
//       none: ["video game"]          # any match here and the rule does not fire
//       scope: [title, lead, body]    # default: all three
//       min_count: 2                  # matches of `any` needed (default 1)
//       min_distinct: 1               # different `any` patterns needed (default 1)
//       weight: 1.0                   # multiplies the rule's points (default 1)
// A pattern is a term or phrase matched as whole words ("oil" is not in "spoil"), a prefix
// ending in '*' ("diplomat*" matches "diplomats", "diplomatic"), or "re:" and a Vectorscan
// regular expression over the folded text (no implied word boundaries).
//
// Immutable after Compile and shared by every worker thread; Match is thread-safe (each thread
// keeps its own Vectorscan scratch and folding buffers).
class TopicRules {
 public:
  // Parses and checks every file and compiles all patterns. Fails (stage config) with every
  // problem found, one line each, as "file:line:col: message": YAML syntax, unknown keys, a
  // missing or duplicate id, a topic the taxonomy does not have or has retired, an empty
  // pattern, a regular expression Vectorscan refuses.
  static Result<std::shared_ptr<const TopicRules>> Compile(const std::vector<RuleSource>& sources,
                                                           const Taxonomy& taxonomy);

  ~TopicRules();
  TopicRules(const TopicRules&) = delete;
  TopicRules& operator=(const TopicRules&) = delete;

  // The topic tags the rules give `article` (normalized title and body), best score first; one
  // tag per topic, with the points of every rule for it summed, its ancestors from the taxonomy,
  // method "rule" and up to kMaxEvidencePerTag matches as evidence. Fails (stage classify) only
  // if Vectorscan does.
  Result<std::vector<TopicTag>> Match(const Article& article) const;
  // The same, on title and body already folded (FoldInto) by the caller, who shares them with
  // the entity recognizer.
  Result<std::vector<TopicTag>> Match(const Article& article, const FoldedText& folded_title,
                                      const FoldedText& folded_body) const;

  std::size_t rule_count() const;
  std::size_t pattern_count() const;

  struct Compiled;  // defined in topic_rules.cc

 private:
  explicit TopicRules(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace newswire::pipeline
