#pragma once

#include <map>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "daemon/pipeline/classify/evaluation.h"
#include "daemon/pipeline/classify/taxonomy.h"

namespace newswire::app {

// A labelled TSV with every article's class resolved to an IPTC Media Topic code: what
// `newswire evaluate` measures on and `newswire train` learns from.
struct LabelledInput {
  std::vector<pipeline::LabelledArticle> articles;
  std::vector<std::string> codes;            // codes[i] is the class of articles[i]
  std::vector<std::string> classes;          // the distinct codes, in the order they first appear
  std::map<std::string, std::string> names;  // code -> dataset label, from the label file
};

// Reads `input` (ParseLabelledTsv) and the optional label file `labels` (ParseLabelMapping; ""
// when the categories are codes already) and maps every category to a code of `taxonomy`.
// Prints each problem to standard error prefixed with `command` and returns the exit code:
// 66 when a file cannot be read, 78 when its contents are invalid.
tl::expected<LabelledInput, int> ReadLabelledInput(const std::string& command,
                                                   const std::string& input,
                                                   const std::string& labels,
                                                   const pipeline::Taxonomy& taxonomy);

}  // namespace newswire::app
