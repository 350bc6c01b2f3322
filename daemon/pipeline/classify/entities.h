#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/folding.h"
#include "daemon/pipeline/classify/topic_rules.h"

namespace newswire::pipeline {

// Salience of an entity in its article, 0..1 (docs/entities.md):
//   kTitleSalience * [named in the title] + kLeadSalience * [named in the lead]
//   + kFrequencySalience * mentions / (mentions of the most mentioned entity of the article).
inline constexpr double kTitleSalience = 0.35;
inline constexpr double kLeadSalience = 0.25;
inline constexpr double kFrequencySalience = 0.40;
// A person found only after a role word ("expert Vladimir Rouvinski") is less certain than a
// gazetteer entry: their score is their salience times this.
inline constexpr double kRoleIntroducedConfidence = 0.5;
// Mentions kept as evidence per entity; mention_count counts them all.
inline constexpr std::size_t kMaxMentionsPerEntity = 5;

// Countries, people and organizations named in an article (docs/entities.md): the countries of
// ISO 3166-1 (Debian's iso-codes JSON) with the aliases, demonyms, capitals and regions of the
// country gazetteer, the people and organizations of the other gazetteers, and people the
// gazetteers do not know when a role word introduces them ("Foreign Minister Sergei Lavrov").
// Every pattern (names, aliases, implicit surnames, role words) is compiled into one Vectorscan
// database, so each field is scanned once, on its folded text (folding.h: case- and
// accent-insensitive).
//
// Immutable after Build and shared by every worker thread; Recognize is thread-safe (each thread
// keeps its own folding and hit buffers).
class EntityRecognizer {
 public:
  // `iso_3166_json` is /usr/share/iso-codes/json/iso_3166-1.json; `gazetteers` are YAML files
  // (config/gazetteers/*.yaml). Fails (stage config) with every problem found, one line each, as
  // "file:line:col: message".
  static Result<std::shared_ptr<const EntityRecognizer>> Build(
      const RuleSource& iso_3166_json, const std::vector<RuleSource>& gazetteers);

  ~EntityRecognizer();
  EntityRecognizer(const EntityRecognizer&) = delete;
  EntityRecognizer& operator=(const EntityRecognizer&) = delete;

  // Sets article.entities (most salient first), article.primary_country and
  // article.primary_region from the normalized title and body. Fails (stage classify) only if
  // Vectorscan does.
  Result<void> Recognize(Article& article) const;
  // The same, on title and body already folded (FoldInto) by the caller, who shares them with
  // the topic rules.
  Result<void> Recognize(Article& article, const FoldedText& folded_title,
                         const FoldedText& folded_body) const;

  std::size_t entity_count() const;
  std::size_t pattern_count() const;

  struct Compiled;  // defined in entities.cc

 private:
  explicit EntityRecognizer(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace newswire::pipeline
