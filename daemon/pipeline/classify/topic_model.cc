#include "daemon/pipeline/classify/topic_model.h"

#include <fasttext/args.h>
#include <fasttext/dictionary.h>
#include <fasttext/fasttext.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "daemon/pipeline/classify/folding.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCodePrefix = "medtop:";
constexpr std::size_t kCodeDigits = 8;
constexpr std::string_view kScheme = "iptc-medtop";
constexpr std::string_view kModelMethod = "model";
// fastText takes one gradient step per training line, spread over the line's words, so an
// article of a thousand words as one line teaches its words little; lines of the title and this
// many body words learn from every part of the body (docs/classification.md).
constexpr std::size_t kBodyWordsPerLine = 50;
// More than any published word vectors have (300 is usual); a larger header is a wrong file.
constexpr long long kMaxPretrainedDimensions = 4096;

// Appends the words of `text`, folded, each preceded by a space when `out` is not empty.
void AppendWords(std::string_view text, FoldedText& folded, std::string& out) {
  if (text.empty()) return;
  FoldInto(text, folded);
  const std::string_view folded_text = folded.text;
  bool in_word = false;
  std::size_t byte_index = 0;
  while (byte_index < folded_text.size()) {
    const std::size_t code_point_begin = byte_index;
    const auto byte = static_cast<unsigned char>(folded_text[byte_index]);
    const char32_t code_point =
        byte < 0x80 ? folded_text[byte_index++] : NextCodePoint(folded_text, byte_index);
    if (!IsWordCodePoint(code_point)) {
      in_word = false;
      continue;
    }
    if (!in_word) {
      if (!out.empty()) out.push_back(' ');
      in_word = true;
    }
    out.append(folded_text.substr(code_point_begin, byte_index - code_point_begin));
  }
}

bool IsCodeDigits(std::string_view digits) {
  return digits.size() == kCodeDigits &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Removes a directory tree when it goes out of scope, whatever way Train returns.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(fs::path path) : path_(std::move(path)) {}
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Result<fs::path> MakeTemporaryDirectory(const std::string& parent) {
  std::error_code error;
  const fs::path base = parent.empty() ? fs::temp_directory_path(error) : fs::path(parent);
  if (error) {
    return MakeError(Stage::kClassify, ErrorCode::kIo,
                     fmt::format("no temporary directory: {}", error.message()));
  }
  std::string pattern = (base / "newswire-train-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return MakeError(Stage::kClassify, ErrorCode::kIo,
                     fmt::format("cannot create a temporary directory in {}: {}", base.string(),
                                 std::error_code(errno, std::generic_category()).message()));
  }
  return fs::path(pattern);
}

// The dimensions of a fastText .vec file, from its first line ("<words> <dimensions>"), so
// that the model is made to fit the vectors instead of fastText refusing a mismatch.
Result<int> PretrainedDimensions(const std::string& path) {
  std::ifstream stream(path);
  if (!stream) {
    return MakeError(Stage::kClassify, ErrorCode::kIo,
                     fmt::format("cannot read the pretrained vectors {}: {}", path,
                                 std::error_code(errno, std::generic_category()).message()));
  }
  long long words = 0;
  long long dimensions = 0;
  if (!(stream >> words >> dimensions) || words < 1 || dimensions < 1 ||
      dimensions > kMaxPretrainedDimensions) {
    return MakeError(Stage::kClassify, ErrorCode::kInvalidArgument,
                     fmt::format("{} is not a fastText .vec file: its first line must be the "
                                 "number of words and the dimensions (1 to {})",
                                 path, kMaxPretrainedDimensions));
  }
  return static_cast<int>(dimensions);
}

}  // namespace

std::vector<std::string> TopicModelLines(std::string_view title, std::string_view body) {
  // Reused per thread: prediction runs for every article on every classify worker.
  thread_local FoldedText folded;
  std::string title_words;
  AppendWords(title, folded, title_words);
  if (!title_words.empty()) title_words += " " + title_words;
  std::string body_words;
  AppendWords(body, folded, body_words);

  std::vector<std::string> lines;
  std::size_t chunk_begin = 0;
  std::size_t words_in_chunk = 0;
  for (std::size_t index = 0; index < body_words.size(); ++index) {
    const bool last = index + 1 == body_words.size();
    if (!last && body_words[index] != ' ') continue;
    if (++words_in_chunk < kBodyWordsPerLine && !last) continue;
    const std::size_t chunk_end = last ? body_words.size() : index;
    std::string line = title_words;
    if (!line.empty()) line.push_back(' ');
    line.append(body_words, chunk_begin, chunk_end - chunk_begin);
    lines.push_back(std::move(line));
    chunk_begin = index + 1;
    words_in_chunk = 0;
  }
  if (lines.empty() && !title_words.empty()) lines.push_back(std::move(title_words));
  return lines;
}

Result<std::string> TrainingLines(const TrainingExample& example) {
  std::string_view digits = example.code;
  if (digits.starts_with(kCodePrefix)) digits.remove_prefix(kCodePrefix.size());
  if (!IsCodeDigits(digits)) {
    return MakeError(Stage::kClassify, ErrorCode::kInvalidArgument,
                     fmt::format("'{}' is not an IPTC Media Topic code (medtop: and eight digits)",
                                 example.code));
  }
  std::string lines;
  for (const std::string& line : TopicModelLines(example.title, example.body)) {
    lines += fmt::format("__label__{} {}\n", digits, line);
  }
  return lines;
}

TopicModel::TopicModel(std::unique_ptr<fasttext::FastText> fast_text, PredictOptions options)
    : fast_text_(std::move(fast_text)), options_(options) {}

TopicModel::~TopicModel() = default;

Result<std::shared_ptr<const TopicModel>> TopicModel::Load(const std::string& path,
                                                           const Taxonomy& taxonomy,
                                                           PredictOptions options) {
  auto config_error = [&](ErrorCode code, std::string_view why) {
    return MakeError(Stage::kConfig, code,
                     fmt::format("topic model {}: {} (classify.model_file)", path, why));
  };
  if (std::ifstream probe(path, std::ios::binary); !probe) {
    return config_error(ErrorCode::kIo, std::error_code(errno, std::generic_category()).message());
  }
  if (std::error_code error; !fs::is_regular_file(path, error)) {
    return config_error(ErrorCode::kNotRegularFile, "not a regular file");
  }
  auto fast_text = std::make_unique<fasttext::FastText>();
  // fastText reports a foreign or damaged file by throwing; this is the boundary.
  try {
    fast_text->loadModel(path);
  } catch (const std::exception& exception) {
    return config_error(ErrorCode::kInvalidArgument,
                        fmt::format("not a fastText model ({})", exception.what()));
  }
  const fasttext::Args args = fast_text->getArgs();
  if (args.model != fasttext::model_name::sup) {
    return config_error(ErrorCode::kInvalidArgument,
                        "a fastText word-vector model, not a supervised classifier");
  }

  std::unique_ptr<TopicModel> model(new TopicModel(std::move(fast_text), options));
  const auto dictionary = model->fast_text_->getDictionary();
  std::vector<std::string> problems;
  for (std::int32_t index = 0; index < dictionary->nlabels(); ++index) {
    const std::string label = dictionary->getLabel(index);
    std::string_view code = label;
    if (code.starts_with(args.label)) code.remove_prefix(args.label.size());
    if (code.starts_with(kCodePrefix)) code.remove_prefix(kCodePrefix.size());
    const MediaTopic* topic = IsCodeDigits(code) ? taxonomy.Find(code) : nullptr;
    if (topic == nullptr) {
      problems.push_back(fmt::format("label '{}' is not an IPTC Media Topic code", label));
      continue;
    }
    if (topic->retired) {
      problems.push_back(fmt::format("label '{}' is a retired IPTC Media Topic", label));
      continue;
    }
    if (std::find(model->codes_.begin(), model->codes_.end(), topic->code) != model->codes_.end()) {
      problems.push_back(fmt::format("label '{}' repeats the code {}", label, topic->code));
      continue;
    }
    TopicTag tag;
    tag.scheme = kScheme;
    tag.code = topic->code;
    tag.label = topic->label;
    tag.ancestors = taxonomy.Ancestors(topic->code);
    tag.method = kModelMethod;
    model->codes_.push_back(topic->code);
    model->tag_of_label_.emplace(label, std::move(tag));
  }
  if (dictionary->nlabels() == 0) problems.emplace_back("the model has no labels");
  if (!problems.empty()) {
    std::string joined;
    for (const auto& problem : problems) joined += (joined.empty() ? "" : "; ") + problem;
    return config_error(ErrorCode::kInvalidArgument, joined);
  }
  return std::shared_ptr<const TopicModel>(std::move(model));
}

Result<std::vector<TopicTag>> TopicModel::Predict(const Article& article) const {
  const std::vector<std::string> lines = TopicModelLines(article.title, article.body);
  if (lines.empty()) return std::vector<TopicTag>{};
  // All lines as one: fastText averages the word vectors of its input, so the article's vector
  // is the mean of its lines' vectors, the title weighing as much as in training. The line break
  // adds the end-of-sentence token that every training line had.
  std::string text;
  for (const std::string& line : lines) {
    if (!text.empty()) text.push_back(' ');
    text += line;
  }
  text.push_back('\n');
  std::istringstream stream(std::move(text));
  std::vector<std::pair<fasttext::real, std::string>> predictions;
  try {
    fast_text_->predictLine(stream, predictions, options_.top_k,
                            static_cast<fasttext::real>(options_.threshold));
  } catch (const std::exception& exception) {
    return MakeError(Stage::kClassify, ErrorCode::kInternal,
                     fmt::format("topic model failed: {}", exception.what()));
  }
  std::vector<TopicTag> tags;
  tags.reserve(predictions.size());
  for (const auto& [probability, label] : predictions) {
    const auto found = tag_of_label_.find(label);
    if (found == tag_of_label_.end()) continue;  // Load checked every label; cannot happen
    TopicTag tag = found->second;
    tag.probability = std::clamp(static_cast<double>(probability), 0.0, 1.0);
    tag.score = tag.probability;
    tags.push_back(std::move(tag));
  }
  return tags;
}

Result<void> TopicModel::Train(const std::vector<TrainingExample>& examples,
                               const TrainOptions& options, const std::string& output_path) {
  if (examples.empty()) {
    return MakeError(Stage::kClassify, ErrorCode::kEmptyInput, "no training examples");
  }
  int dimensions = options.dimensions;
  if (!options.pretrained_vectors.empty()) {
    auto pretrained = PretrainedDimensions(options.pretrained_vectors);
    if (!pretrained) return tl::unexpected<Error>(std::move(pretrained.error()));
    dimensions = *pretrained;
  }
  auto directory_path = MakeTemporaryDirectory(options.temporary_directory);
  if (!directory_path) return tl::unexpected<Error>(std::move(directory_path.error()));
  const TemporaryDirectory directory(std::move(*directory_path));
  const fs::path training_file = directory.path() / "train.txt";
  {
    std::ofstream stream(training_file, std::ios::binary);
    for (const TrainingExample& example : examples) {
      auto lines = TrainingLines(example);
      if (!lines) return tl::unexpected<Error>(std::move(lines.error()));
      stream << *lines;
    }
    stream.flush();
    if (!stream) {
      return MakeError(Stage::kClassify, ErrorCode::kIo,
                       fmt::format("cannot write {}", training_file.string()));
    }
  }

  fasttext::Args args;
  args.input = training_file.string();
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.epoch = options.epochs;
  args.lr = options.learning_rate;
  args.wordNgrams = options.word_ngrams;
  args.dim = dimensions;
  args.pretrainedVectors = options.pretrained_vectors;
  args.minCount = options.min_count;
  args.minCountLabel = 0;
  // No character n-grams: news words repeat enough across articles, and without them the model
  // stays small.
  args.minn = 0;
  args.maxn = 0;
  args.bucket = options.word_ngrams > 1 ? options.buckets : 0;
  args.thread = options.threads;
  args.seed = options.seed;
  args.verbose = 0;
  // Written beside the target and renamed, so a failed run leaves no half-written model.
  const std::string partial_path = output_path + ".partial";
  try {
    fasttext::FastText fast_text;
    fast_text.train(args);
    fast_text.saveModel(partial_path);
  } catch (const std::exception& exception) {
    std::error_code ignored;
    fs::remove(partial_path, ignored);
    return MakeError(Stage::kClassify, ErrorCode::kInternal,
                     fmt::format("fastText training failed: {}", exception.what()));
  }
  std::error_code error;
  fs::rename(partial_path, output_path, error);
  if (error) {
    fs::remove(partial_path, error);
    return MakeError(Stage::kClassify, ErrorCode::kIo,
                     fmt::format("cannot write {}: {}", output_path, error.message()));
  }
  return {};
}

std::vector<TopicTag> FuseTopicTags(std::vector<TopicTag> rule_tags,
                                    std::vector<TopicTag> model_tags, double model_weight) {
  std::vector<TopicTag> fused = std::move(rule_tags);
  const std::size_t rule_tag_count = fused.size();
  for (TopicTag& model_tag : model_tags) {
    double rule_support = 0.0;
    TopicTag* same_code = nullptr;
    for (std::size_t index = 0; index < rule_tag_count; ++index) {
      TopicTag& rule_tag = fused[index];
      const bool is_code = rule_tag.code == model_tag.code;
      const bool is_subtopic = std::find(rule_tag.ancestors.begin(), rule_tag.ancestors.end(),
                                         model_tag.code) != rule_tag.ancestors.end();
      if (is_code) same_code = &rule_tag;
      if (is_code || is_subtopic) rule_support = std::max(rule_support, rule_tag.score);
    }
    const double score = 1.0 - (1.0 - rule_support) * (1.0 - model_weight * model_tag.probability);
    if (same_code != nullptr) {
      same_code->score = score;
      same_code->probability = model_tag.probability;
      same_code->method = kFusedMethod;
      continue;
    }
    model_tag.score = score;
    if (rule_support > 0.0) model_tag.method = kFusedMethod;
    fused.push_back(std::move(model_tag));
  }
  std::sort(fused.begin(), fused.end(), [](const TopicTag& left, const TopicTag& right) {
    return left.score != right.score ? left.score > right.score : left.code < right.code;
  });
  return fused;
}

}  // namespace newswire::pipeline
