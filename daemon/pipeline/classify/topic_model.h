#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/taxonomy.h"

// fastText stays out of this header: only topic_model.cc includes it, so the library links it
// privately and nothing else sees its headers.
namespace fasttext {
class FastText;
}  // namespace fasttext

namespace newswire::pipeline {

// The value of TopicTag::method for a tag that both the rules and the model gave (FuseTopicTags).
inline constexpr std::string_view kFusedMethod = "rule+model";
// How much a model probability counts against rule evidence in FuseTopicTags, unless the caller
// chooses otherwise: the best of 1, 0.5, 0.2 and 0.1 in 5-fold cross-validation on MasakhaNEWS
// English train-small (docs/classification.md).
inline constexpr double kDefaultModelWeight = 0.2;

// The lines fastText sees for an article, for training and for prediction alike so that the two
// can never diverge. Title and body are folded as the rules fold them (folding.h) and split into
// words at every character that is not a letter, combining mark or decimal digit; the body's
// words are cut into pieces of 50, and each line is the title's words twice (a headline says
// more about the topic than any one sentence) followed by one piece, words joined by single
// spaces. fastText takes one step per line, so long articles as single lines would teach it
// little. A line has neither tabs nor line breaks. Only the title when the body has no words;
// empty when neither has any.
std::vector<std::string> TopicModelLines(std::string_view title, std::string_view body);

// One labelled article for TopicModel::Train.
struct TrainingExample {
  std::string code;  // IPTC Media Topic code, "medtop:04000000"
  std::string title;
  std::string body;
};

// The example's lines of a fastText training file: "__label__04000000 <line>\n" for each of
// TopicModelLines. Fails (stage classify, invalid argument) when `code` is not "medtop:" and
// eight digits.
Result<std::string> TrainingLines(const TrainingExample& example);

// fastText hyperparameters for a supervised topic model, for a few hundred to a few thousand news
// articles and a handful of top-level classes. 5-fold cross-validation on MasakhaNEWS English
// train-small found no setting clearly better than these (docs/classification.md). One thread
// and a fixed seed make training deterministic: the same examples give the same model, byte for
// byte.
struct TrainOptions {
  int epochs = 50;
  double learning_rate = 0.5;
  int word_ngrams = 2;
  int dimensions = 50;
  int min_count = 1;
  // Hash buckets for word n-grams; the model file is about (words + buckets) * dimensions * 4
  // bytes, so this bounds its size (13 MB with the defaults and 300 articles).
  int buckets = 50000;
  int threads = 1;
  int seed = 1;
  // Word vectors to start from, in fastText's text format (.vec: a line "<words> <dimensions>",
  // then a word and its numbers a line), e.g. the public cc.en.300.vec. Their dimensions
  // replace `dimensions`. Words are looked up as TopicModelLines writes them: folded, so
  // lower-case entries match. "" = learn the vectors from the examples alone.
  std::string pretrained_vectors;
  // Where the temporary training file is written; "" = the system's temporary directory.
  std::string temporary_directory;
};

// What Predict returns: at most `top_k` tags, each with a probability of at least `threshold`.
struct PredictOptions {
  int top_k = 3;
  double threshold = 0.1;
};

// A supervised fastText model that predicts IPTC Media Topic codes (usually the top level) from
// an article's title and body. Loaded once at start and then only read: Predict is const and
// thread-safe, so every classify worker shares one instance (fastText's predictLine is a const
// method that keeps its scratch state on the stack of the call; the test
// TopicModelTest.PredictsTheSameFromManyThreads checks it).
class TopicModel {
 public:
  // Reads a model file written by Train (or by the fastText tool, with labels `__label__` and
  // eight digits or "medtop:" and eight digits). This is file I/O in the pipeline library, which
  // otherwise does none: fastText can only load from a file or stream, and a model is read once,
  // at start-up, by the app or a command, never on the data path. Fails (stage config) naming the
  // file when it cannot be read, is not a supervised fastText model, or has a label that is not
  // an active IPTC Media Topic of `taxonomy` (every such label is listed).
  static Result<std::shared_ptr<const TopicModel>> Load(const std::string& path,
                                                        const Taxonomy& taxonomy,
                                                        PredictOptions options = {});

  // Writes a fastText training file (TrainingLines per example) into a temporary directory,
  // trains on it with `options`, saves the model to `output_path` and removes the directory.
  // For the `newswire train` command, never the daemon. Fails (stage classify) when there are no
  // examples, a code is malformed, the pretrained vectors cannot be read or have no valid
  // header, a file cannot be written or fastText refuses.
  static Result<void> Train(const std::vector<TrainingExample>& examples,
                            const TrainOptions& options, const std::string& output_path);

  ~TopicModel();
  TopicModel(const TopicModel&) = delete;
  TopicModel& operator=(const TopicModel&) = delete;

  // The model's tags for the normalized article, most probable first, from all of its
  // TopicModelLines given to fastText as one line: scheme "iptc-medtop", label and ancestors from
  // the taxonomy, method "model", score = probability, no evidence. Empty when the article has
  // no words. Fails (stage classify) only if fastText throws.
  Result<std::vector<TopicTag>> Predict(const Article& article) const;

  // The codes the model can predict, in the model's label order.
  const std::vector<std::string>& codes() const { return codes_; }

 private:
  TopicModel(std::unique_ptr<fasttext::FastText> fast_text, PredictOptions options);

  std::unique_ptr<fasttext::FastText> fast_text_;
  PredictOptions options_;
  std::vector<std::string> codes_;
  // fastText label ("__label__04000000") -> the tag it becomes, without probability and score.
  std::unordered_map<std::string, TopicTag> tag_of_label_;
};

// Combines the rules' tags with the model's, one tag per code, best score first (ties by code).
// Every rule tag is kept, subtopics included. For each model tag with probability p, the rule
// support s is the best score of a rule tag for that code or for one of its subtopics (a rule
// tag whose ancestors include the code), and the code's score becomes
//   1 - (1 - s) * (1 - model_weight * p),
// the chance that at least one of two independent signals is right; it is never below s nor
// below model_weight * p. A rule tag for the code itself is updated in place (evidence kept,
// probability p, method kFusedMethod); otherwise the model tag is added, with method
// kFusedMethod when s > 0 (its evidence stays with the subtopic tags) and "model" when the rules
// found nothing under it. A code only the rules found keeps its rule score.
std::vector<TopicTag> FuseTopicTags(std::vector<TopicTag> rule_tags,
                                    std::vector<TopicTag> model_tags, double model_weight);

}  // namespace newswire::pipeline
