#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/taxonomy.h"

// Measuring a classifier against labelled articles (`newswire evaluate`, `newswire train`).
// Pure: parses text and counts; the command reads the files.
namespace newswire::pipeline {

// One labelled article of a tab-separated file with a header line naming at least the columns
// `category`, `headline` and `text` (the MasakhaNEWS layout); fields may be double-quoted, with
// "" for a quote and line breaks inside.
struct LabelledArticle {
  std::string label;  // as written in `category`
  std::string headline;
  std::string text;
  std::size_t line = 0;  // where the record starts, 1-based
};

// Fails (stage config) naming file:line for a missing column, a record with too few fields or
// an unterminated quote.
Result<std::vector<LabelledArticle>> ParseLabelledTsv(std::string_view tsv,
                                                      std::string_view file_name);

// Dataset label -> IPTC Media Topic code, from YAML `labels: {business: medtop:04000000, ...}`.
// Every code must be in the taxonomy. Fails (stage config) with every problem as
// "file:line:col: message".
Result<std::map<std::string, std::string>> ParseLabelMapping(std::string_view yaml,
                                                             std::string_view file_name,
                                                             const Taxonomy& taxonomy);

// The class an article's tags predict among `classes` (IPTC codes): for each tag, its ancestor
// (or itself) that is one of `classes`; the class whose best tag scores highest wins. "" when no
// tag falls under any class. Closed-set, as the evaluation sets are: a tag outside every class
// neither helps nor hurts.
std::string PredictClass(const std::vector<TopicTag>& tags,
                         const std::vector<std::string>& classes);

// Per-class precision, recall and F1, macro averages and the confusion table of single-label
// predictions.
class ClassificationReport {
 public:
  explicit ClassificationReport(std::vector<std::string> classes);

  // `predicted` may be "" (no prediction), which counts as a miss for `expected`.
  void Add(const std::string& expected, const std::string& predicted);

  struct ClassScores {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    std::size_t support = 0;  // articles whose expected class this is
  };
  ClassScores Scores(const std::string& class_code) const;
  double MacroF1() const;
  double Accuracy() const;
  std::size_t total() const { return total_; }
  const std::vector<std::string>& classes() const { return classes_; }

  // A plain-text table: per class precision, recall, F1 and support, the macro averages, the
  // accuracy, and the confusion table (rows expected, columns predicted, last column "none").
  // `names` maps codes to short names for the columns; missing ones print as the code.
  std::string Render(const std::map<std::string, std::string>& names) const;

 private:
  std::size_t Count(const std::string& expected, const std::string& predicted) const;

  std::vector<std::string> classes_;
  std::map<std::pair<std::string, std::string>, std::size_t> counts_;  // (expected, predicted)
  std::size_t total_ = 0;
};

}  // namespace newswire::pipeline
