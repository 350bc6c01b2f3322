#pragma once

#include <string>

#include "daemon/pipeline/classify/topic_model.h"

namespace newswire::app {

struct TrainCommandOptions {
  std::string input;     // labelled TSV (category, headline, text)
  std::string labels;    // YAML label -> IPTC code; "" when the categories are IPTC codes
  std::string output;    // the model file to write
  std::string data_dir;  // classify.data_dir, for the taxonomy
  pipeline::TrainOptions train;
};

// `newswire train`: trains a fastText topic model (pipeline::TopicModel) on labelled articles,
// normalized as the daemon normalizes them, and writes it to `output`; prints the examples per
// class, the hyperparameters and the time taken. Returns the exit code: 0, 66 when the input
// cannot be read, 70 when training fails, 78 when the classifier data or the label file is
// invalid.
int Train(const TrainCommandOptions& options);

}  // namespace newswire::app
