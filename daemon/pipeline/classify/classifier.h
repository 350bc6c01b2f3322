#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/entities.h"
#include "daemon/pipeline/classify/taxonomy.h"
#include "daemon/pipeline/classify/topic_model.h"
#include "daemon/pipeline/classify/topic_rules.h"
#include "daemon/pipeline/route/routes.h"

namespace newswire::pipeline {

// The fingerprints every article gets, with or without a classifier:
// fingerprints.simhash = SimHash(article.body). Pure and thread-safe.
Result<Article> Classify(Article article);

// What a classifier is built from: the contents of its data files, read by the daemon at start
// (and on reload), so that building one needs no file system.
struct ClassifierSources {
  RuleSource taxonomy;                  // IPTC Media Topics, config/taxonomy/iptc-mediatopics.tsv
  std::vector<RuleSource> topic_rules;  // config/rules/topics/*.yaml
  // ISO 3166-1 from Debian's iso-codes (/usr/share/iso-codes/json/iso_3166-1.json) and the
  // entity gazetteers (config/gazetteers/*.yaml). With neither (an empty iso_3166.name and no
  // gazetteers) the classifier recognizes no entities.
  RuleSource iso_3166;
  std::vector<RuleSource> gazetteers;
  // Routes (docs/routes.md); an empty name means none.
  RuleSource routes;
  // A topic model from `newswire train`, fused with the rules' tags; "" = rules only. The one
  // file Build reads itself: fastText loads models from paths only, and Build runs at start and
  // on reload, never per article.
  std::string model_file;
};

// The third stage, after Normalize: fingerprints (Classify above), IPTC topic tags from the
// topic rules, then named entities (entities.h); title and body are folded once for all three.
// Immutable once built and shared by every worker thread; Classify is thread-safe.
class Classifier {
 public:
  // Fails (stage config) with every problem of every file, each as "file:line:col: message".
  static Result<std::shared_ptr<const Classifier>> Build(const ClassifierSources& sources);

  Result<Article> Classify(Article article) const;

  const Taxonomy& taxonomy() const { return taxonomy_; }
  const TopicRules& topic_rules() const { return *topic_rules_; }
  // Null when the sources have no entity data.
  const EntityRecognizer* entity_recognizer() const { return entity_recognizer_.get(); }
  const Routes& routes() const { return routes_; }
  // Null without a model.
  const TopicModel* model() const { return model_.get(); }

 private:
  Classifier(Taxonomy taxonomy, std::shared_ptr<const TopicRules> topic_rules,
             std::shared_ptr<const EntityRecognizer> entity_recognizer);

  Taxonomy taxonomy_;
  std::shared_ptr<const TopicRules> topic_rules_;
  std::shared_ptr<const EntityRecognizer> entity_recognizer_;
  Routes routes_;
  std::shared_ptr<const TopicModel> model_;
};

// 64-bit SimHash (Charikar) over the word 3-shingles of `text`: the text is folded as rules match
// it (folding.h: case, accents, typographic quotes and dashes), split into words at every character
// that is not a letter, combining mark or decimal digit, and each run of three consecutive words,
// joined by single spaces, is hashed with XXH3_64bits; every shingle votes on each of the 64 bits.
// Near-duplicate texts differ in few bits (compare with std::popcount(a ^ b)). A text of one or two
// words is one shingle; a text without words gives 0. Fails (stage classify) only for a text over 4
// GiB.
Result<std::uint64_t> SimHash(std::string_view text);

}  // namespace newswire::pipeline
