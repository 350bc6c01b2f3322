#include "daemon/app/train_command.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <system_error>
#include <vector>

#include "daemon/app/app.h"
#include "daemon/app/classifier_loader.h"
#include "daemon/app/labelled_input.h"
#include "daemon/pipeline/normalize/normalizer.h"

namespace newswire::app {

int Train(const TrainCommandOptions& options) {
  auto classifier = LoadClassifier(options.data_dir);
  if (!classifier) {
    std::cerr << classifier.error().Describe() << "\n";
    return kExitConfig;
  }
  const pipeline::Taxonomy& taxonomy = (*classifier)->taxonomy();
  auto input = ReadLabelledInput("train", options.input, options.labels, taxonomy);
  if (!input) return input.error();

  // The model learns from text normalized as the daemon normalizes what it later classifies.
  std::vector<pipeline::TrainingExample> examples;
  examples.reserve(input->articles.size());
  std::map<std::string, std::size_t> examples_per_class;
  std::size_t skipped = 0;
  for (std::size_t index = 0; index < input->articles.size(); ++index) {
    Article article;
    article.title = input->articles[index].headline;
    article.body = input->articles[index].text;
    auto normalized = pipeline::Normalize(std::move(article));
    if (!normalized) {
      std::cerr << fmt::format("{}:{}: skipped: {}\n", options.input, input->articles[index].line,
                               normalized.error().Describe());
      ++skipped;
      continue;
    }
    ++examples_per_class[input->codes[index]];
    examples.push_back(
        {input->codes[index], std::move(normalized->title), std::move(normalized->body)});
  }

  const pipeline::TrainOptions& train = options.train;
  const auto started = std::chrono::steady_clock::now();
  auto trained = pipeline::TopicModel::Train(examples, train, options.output);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  if (!trained) {
    std::cerr << fmt::format("newswire train: {}\n", trained.error().Describe());
    return kExitSoftware;
  }

  std::cout << fmt::format("{}: {} examples ({} skipped), {} classes\n", options.input,
                           examples.size(), skipped, input->classes.size());
  for (const std::string& code : input->classes) {
    const auto name = input->names.find(code);
    const auto* topic = taxonomy.Find(code);
    std::cout << fmt::format("  {:<16} {:<16} {:>6}  {}\n",
                             name != input->names.end() ? name->second : "", code,
                             examples_per_class[code], topic != nullptr ? topic->label : "");
  }
  std::error_code error;
  const auto size_bytes = std::filesystem::file_size(options.output, error);
  std::cout << fmt::format(
      "fastText supervised: epochs {}, learning rate {}, word n-grams {}, dimensions {}, "
      "min count {}, buckets {}, threads {}, seed {}\n",
      train.epochs, train.learning_rate, train.word_ngrams, train.dimensions, train.min_count,
      train.buckets, train.threads, train.seed);
  if (!train.pretrained_vectors.empty()) {
    std::cout << fmt::format(
        "started from the word vectors in {} (their dimensions replace "
        "--dimensions)\n",
        train.pretrained_vectors);
  }
  std::cout << fmt::format("wrote {} ({} bytes) in {:.2f} s\n", options.output,
                           error ? 0 : size_bytes, elapsed.count());
  return kExitOk;
}

}  // namespace newswire::app
