#pragma once

#include <optional>
#include <string>

#include "daemon/pipeline/classify/topic_model.h"

namespace newswire::app {

// Which tags `newswire evaluate` measures.
enum class ClassifierChoice {
  kRules,  // the topic rules alone
  kModel,  // the topic model alone
  kBoth,   // rules and model, fused (pipeline::FuseTopicTags)
};

struct EvaluateOptions {
  std::string input;       // labelled TSV (category, headline, text)
  std::string labels;      // YAML label -> IPTC code; "" when the categories are IPTC codes
  std::string data_dir;    // classify.data_dir
  std::string model_file;  // a topic model (`newswire train`); "" for none
  // Unset: kBoth with a model, else kRules. kModel and kBoth need `model_file`.
  std::optional<ClassifierChoice> classifier;
  double model_weight = pipeline::kDefaultModelWeight;
  std::optional<double> min_macro_f1;  // fail below this
};

// `newswire evaluate`: classifies every labelled article with the chosen classifier and prints
// per-class precision, recall, F1, the macro averages and the confusion table. Returns the exit
// code: 0, 1 when macro-F1 is below `min_macro_f1`, 64 when a model is chosen but none given, 66
// when the input cannot be read, 78 when the classifier data, the model or the label file is
// invalid.
int Evaluate(const EvaluateOptions& options);

}  // namespace newswire::app
