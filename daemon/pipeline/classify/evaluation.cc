#include "daemon/pipeline/classify/evaluation.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <utility>

namespace newswire::pipeline {
namespace {

// Splits TSV text into records of fields, honouring double quotes ("" is a quote; tabs and line
// breaks inside quotes are data). `line_of_record` gets each record's first line.
Result<std::vector<std::vector<std::string>>> SplitRecords(
    std::string_view tsv, std::string_view file_name, std::vector<std::size_t>& line_of_record) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields(1);
  std::size_t line = 1;
  std::size_t record_line = 1;
  bool quoted = false;
  bool field_started = false;
  auto end_record = [&] {
    if (!(fields.size() == 1 && fields[0].empty() && !field_started)) {
      records.push_back(std::move(fields));
      line_of_record.push_back(record_line);
    }
    fields.assign(1, "");
    field_started = false;
    record_line = line;
  };
  for (std::size_t index = 0; index < tsv.size(); ++index) {
    const char c = tsv[index];
    if (quoted) {
      if (c == '"') {
        if (index + 1 < tsv.size() && tsv[index + 1] == '"') {
          fields.back().push_back('"');
          ++index;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        fields.back().push_back(c);
      }
      continue;
    }
    if (c == '"' && fields.back().empty() && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == '\t') {
      fields.emplace_back();
      field_started = false;
    } else if (c == '\n') {
      ++line;
      end_record();
    } else if (c != '\r') {
      fields.back().push_back(c);
      field_started = true;
    }
  }
  if (quoted) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     fmt::format("{}:{}: a quoted field is never closed", file_name, record_line));
  }
  end_record();
  return records;
}

}  // namespace

Result<std::vector<LabelledArticle>> ParseLabelledTsv(std::string_view tsv,
                                                      std::string_view file_name) {
  std::vector<std::size_t> lines;
  auto records = SplitRecords(tsv, file_name, lines);
  if (!records) return tl::unexpected<Error>(std::move(records.error()));
  if (records->empty()) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     fmt::format("{}:1: no header line", file_name));
  }
  const std::vector<std::string>& header = records->front();
  auto column = [&](std::string_view name) -> std::ptrdiff_t {
    const auto found = std::find(header.begin(), header.end(), name);
    return found == header.end() ? -1 : found - header.begin();
  };
  const std::ptrdiff_t category = column("category");
  const std::ptrdiff_t headline = column("headline");
  const std::ptrdiff_t text = column("text");
  if (category < 0 || headline < 0 || text < 0) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     fmt::format("{}:1: the header must name the columns category, headline and "
                                 "text (tab-separated)",
                                 file_name));
  }
  const auto needed = static_cast<std::size_t>(std::max({category, headline, text})) + 1;
  std::vector<LabelledArticle> articles;
  articles.reserve(records->size() - 1);
  for (std::size_t index = 1; index < records->size(); ++index) {
    std::vector<std::string>& fields = (*records)[index];
    if (fields.size() < needed) {
      return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                       fmt::format("{}:{}: {} fields, the header has {}", file_name, lines[index],
                                   fields.size(), header.size()));
    }
    articles.push_back({std::move(fields[static_cast<std::size_t>(category)]),
                        std::move(fields[static_cast<std::size_t>(headline)]),
                        std::move(fields[static_cast<std::size_t>(text)]), lines[index]});
  }
  return articles;
}

Result<std::map<std::string, std::string>> ParseLabelMapping(std::string_view yaml,
                                                             std::string_view file_name,
                                                             const Taxonomy& taxonomy) {
  std::vector<std::string> problems;
  auto at = [&](const YAML::Mark& mark) {
    return fmt::format("{}:{}:{}", file_name, mark.line + 1, mark.column + 1);
  };
  std::map<std::string, std::string> mapping;
  try {
    const YAML::Node document = YAML::Load(std::string(yaml));
    const YAML::Node labels = document.IsMap() ? document["labels"] : YAML::Node();
    if (!labels || !labels.IsMap()) {
      problems.push_back(
          fmt::format("{}: a label file is a mapping 'labels' of dataset label "
                      "to IPTC code",
                      at(document.Mark())));
    } else {
      for (const auto& entry : labels) {
        const std::string code = entry.second.IsScalar() ? entry.second.Scalar() : "";
        const MediaTopic* topic = taxonomy.Find(code);
        if (topic == nullptr) {
          problems.push_back(fmt::format("{}: label '{}': '{}' is not an IPTC Media Topic",
                                         at(entry.second.Mark()), entry.first.Scalar(), code));
          continue;
        }
        mapping[entry.first.Scalar()] = topic->code;
      }
    }
  } catch (const YAML::Exception& error) {
    problems.push_back(fmt::format("{}: YAML syntax: {}", at(error.mark), error.msg));
  }
  if (!problems.empty()) {
    std::string message;
    for (const std::string& problem : problems) message += (message.empty() ? "" : "\n") + problem;
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument, std::move(message));
  }
  return mapping;
}

std::string PredictClass(const std::vector<TopicTag>& tags,
                         const std::vector<std::string>& classes) {
  std::string best_class;
  double best_score = 0.0;
  for (const TopicTag& tag : tags) {
    auto in_classes = [&](const std::string& code) {
      return std::find(classes.begin(), classes.end(), code) != classes.end();
    };
    std::string match;
    if (in_classes(tag.code)) {
      match = tag.code;
    } else {
      const auto ancestor = std::find_if(tag.ancestors.begin(), tag.ancestors.end(), in_classes);
      if (ancestor != tag.ancestors.end()) match = *ancestor;
    }
    if (!match.empty() && (best_class.empty() || tag.score > best_score)) {
      best_class = match;
      best_score = tag.score;
    }
  }
  return best_class;
}

ClassificationReport::ClassificationReport(std::vector<std::string> classes)
    : classes_(std::move(classes)) {}

void ClassificationReport::Add(const std::string& expected, const std::string& predicted) {
  ++counts_[{expected, predicted}];
  ++total_;
}

std::size_t ClassificationReport::Count(const std::string& expected,
                                        const std::string& predicted) const {
  const auto found = counts_.find({expected, predicted});
  return found == counts_.end() ? 0 : found->second;
}

ClassificationReport::ClassScores ClassificationReport::Scores(
    const std::string& class_code) const {
  std::size_t true_positives = 0;
  std::size_t predicted_as = 0;
  std::size_t expected_as = 0;
  for (const auto& [pair, count] : counts_) {
    if (pair.first == class_code && pair.second == class_code) true_positives += count;
    if (pair.second == class_code) predicted_as += count;
    if (pair.first == class_code) expected_as += count;
  }
  ClassScores scores;
  scores.support = expected_as;
  scores.precision = predicted_as == 0
                         ? 0.0
                         : static_cast<double>(true_positives) / static_cast<double>(predicted_as);
  scores.recall = expected_as == 0
                      ? 0.0
                      : static_cast<double>(true_positives) / static_cast<double>(expected_as);
  const double sum = scores.precision + scores.recall;
  scores.f1 = sum == 0.0 ? 0.0 : 2.0 * scores.precision * scores.recall / sum;
  return scores;
}

double ClassificationReport::MacroF1() const {
  if (classes_.empty()) return 0.0;
  double sum = 0.0;
  for (const std::string& class_code : classes_) sum += Scores(class_code).f1;
  return sum / static_cast<double>(classes_.size());
}

double ClassificationReport::Accuracy() const {
  if (total_ == 0) return 0.0;
  std::size_t correct = 0;
  for (const std::string& class_code : classes_) correct += Count(class_code, class_code);
  return static_cast<double>(correct) / static_cast<double>(total_);
}

std::string ClassificationReport::Render(const std::map<std::string, std::string>& names) const {
  auto name_of = [&](const std::string& code) {
    const auto found = names.find(code);
    return found == names.end() ? code : found->second;
  };
  std::string out = fmt::format("{:<16} {:>9} {:>9} {:>9} {:>8}\n", "class", "precision", "recall",
                                "f1", "support");
  double precision_sum = 0.0;
  double recall_sum = 0.0;
  for (const std::string& class_code : classes_) {
    const ClassScores scores = Scores(class_code);
    precision_sum += scores.precision;
    recall_sum += scores.recall;
    out += fmt::format("{:<16} {:>9.3f} {:>9.3f} {:>9.3f} {:>8}\n", name_of(class_code),
                       scores.precision, scores.recall, scores.f1, scores.support);
  }
  const auto count = static_cast<double>(std::max<std::size_t>(classes_.size(), 1));
  out += fmt::format("{:<16} {:>9.3f} {:>9.3f} {:>9.3f} {:>8}\n", "macro average",
                     precision_sum / count, recall_sum / count, MacroF1(), total_);
  out +=
      fmt::format("accuracy {:.3f}\n\nconfusion (rows expected, columns predicted)\n", Accuracy());
  out += fmt::format("{:<16}", "");
  for (const std::string& class_code : classes_) {
    out += fmt::format(" {:>8.8}", name_of(class_code));
  }
  out += fmt::format(" {:>8}\n", "none");
  for (const std::string& expected : classes_) {
    out += fmt::format("{:<16}", name_of(expected));
    for (const std::string& predicted : classes_) {
      out += fmt::format(" {:>8}", Count(expected, predicted));
    }
    out += fmt::format(" {:>8}\n", Count(expected, ""));
  }
  return out;
}

}  // namespace newswire::pipeline
