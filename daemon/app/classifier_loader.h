#pragma once

#include <memory>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/article_memory.h"
#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/decode/json_decoder.h"

namespace newswire {

// Reads the classifier's data files from `data_dir` (classify.data_dir) and builds the
// classifier: taxonomy/iptc-mediatopics.tsv, every rules/topics/*.yaml and gazetteers/*.yaml in
// name order, and ISO 3166-1 from /usr/share/iso-codes/json/iso_3166-1.json (package iso-codes).
// Called
// at start by the daemon and by the `process` and `evaluate` commands; the file I/O lives here so
// that the pipeline stays pure. Fails (stage config) naming the unreadable file, or with every
// problem in the data as "path:line:col: message".
Result<std::shared_ptr<const pipeline::Classifier>> LoadClassifier(
    const config::ClassifyConfig& classify);
// The shipped data of `data_dir` alone: no model, no routes (`train`, `evaluate`).
Result<std::shared_ptr<const pipeline::Classifier>> LoadClassifier(const std::string& data_dir);

// The duplicate and story windows the config asks for (duplicates.*, stories.*).
pipeline::MemoryOptions MemoryOptionsFrom(const config::Config& config);

// A source's json_fields as the pipeline takes them; the daemon and `process --source` alike.
pipeline::JsonFieldMapping JsonFieldMappingFrom(const config::JsonFieldNames& fields);

}  // namespace newswire
