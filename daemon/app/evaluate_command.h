#pragma once

#include <optional>
#include <string>

namespace newswire::app {

struct EvaluateOptions {
  std::string input;     // labelled TSV (category, headline, text)
  std::string labels;    // YAML label -> IPTC code; "" when the categories are IPTC codes
  std::string data_dir;  // classify.data_dir
  std::optional<double> min_macro_f1;  // fail below this
};

// `newswire evaluate`: classifies every labelled article with the configured classifier and
// prints per-class precision, recall, F1, the macro averages and the confusion table. Returns
// the exit code: 0, 1 when macro-F1 is below `min_macro_f1`, 66 when the input cannot be read,
// 78 when the classifier data or the label file is invalid.
int Evaluate(const EvaluateOptions& options);

}  // namespace newswire::app
