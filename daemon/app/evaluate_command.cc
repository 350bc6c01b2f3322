#include "daemon/app/evaluate_command.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <vector>

#include "daemon/app/app.h"
#include "daemon/app/classifier_loader.h"
#include "daemon/app/labelled_input.h"
#include "daemon/pipeline/classify/evaluation.h"
#include "daemon/pipeline/normalize/normalizer.h"

namespace newswire::app {
namespace {

constexpr int kExitBelowThreshold = 1;

}  // namespace

int Evaluate(const EvaluateOptions& options) {
  const ClassifierChoice choice = options.classifier.value_or(
      options.model_file.empty() ? ClassifierChoice::kRules : ClassifierChoice::kBoth);
  if (choice != ClassifierChoice::kRules && options.model_file.empty()) {
    std::cerr << "newswire evaluate: --classifier model and both need --model FILE (or "
                 "classify.model_file)\n";
    return kExitUsage;
  }
  auto classifier = LoadClassifier(options.data_dir);
  if (!classifier) {
    std::cerr << classifier.error().Describe() << "\n";
    return kExitConfig;
  }
  std::shared_ptr<const pipeline::TopicModel> model;
  if (choice != ClassifierChoice::kRules) {
    auto loaded = pipeline::TopicModel::Load(options.model_file, (*classifier)->taxonomy());
    if (!loaded) {
      std::cerr << loaded.error().Describe() << "\n";
      return kExitConfig;
    }
    model = std::move(*loaded);
  }
  auto input =
      ReadLabelledInput("evaluate", options.input, options.labels, (*classifier)->taxonomy());
  if (!input) return input.error();

  pipeline::ClassificationReport report(input->classes);
  std::size_t failed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t index = 0; index < input->articles.size(); ++index) {
    Article article;
    article.title = input->articles[index].headline;
    article.body = input->articles[index].text;
    // The rules run inside Classify; the model and the fusion are applied here, as the daemon
    // would apply them after the rules.
    auto classified = pipeline::Normalize(std::move(article)).and_then([&](Article normalized) {
      return (*classifier)->Classify(std::move(normalized));
    });
    Result<std::vector<TopicTag>> tags = classified.map([](Article& done) { return done.topics; });
    if (classified && model != nullptr) {
      auto model_tags = model->Predict(*classified);
      if (!model_tags) {
        tags = tl::unexpected<Error>(std::move(model_tags.error()));
      } else if (choice == ClassifierChoice::kModel) {
        tags = std::move(*model_tags);
      } else {
        tags = pipeline::FuseTopicTags(std::move(classified->topics), std::move(*model_tags),
                                       options.model_weight);
      }
    }
    if (!tags) {
      ++failed;
      report.Add(input->codes[index], "");
      continue;
    }
    report.Add(input->codes[index], pipeline::PredictClass(*tags, input->classes));
  }
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);

  std::string described;
  const std::size_t rule_count = (*classifier)->topic_rules().rule_count();
  switch (choice) {
    case ClassifierChoice::kRules:
      described = fmt::format("rules ({} rules)", rule_count);
      break;
    case ClassifierChoice::kModel:
      described = fmt::format("model ({}, {} classes)", options.model_file, model->codes().size());
      break;
    case ClassifierChoice::kBoth:
      described = fmt::format(
          "rules ({} rules) + model ({}, {} classes), fused: score = 1 - (1 - rule) * (1 - {} * "
          "probability)",
          rule_count, options.model_file, model->codes().size(), options.model_weight);
      break;
  }
  std::cout << fmt::format("{}: {} articles, {} classes, classifier: {}\n\n", options.input,
                           input->articles.size(), input->classes.size(), described);
  std::cout << report.Render(input->names);
  std::cout << fmt::format("\nmacro-F1 {:.4f}  ({} articles failed to classify, {:.2f} s)\n",
                           report.MacroF1(), failed, elapsed.count());
  if (options.min_macro_f1 && report.MacroF1() < *options.min_macro_f1) {
    std::cout << fmt::format("FAIL: macro-F1 {:.4f} is below {:.4f}\n", report.MacroF1(),
                             *options.min_macro_f1);
    return kExitBelowThreshold;
  }
  return kExitOk;
}

}  // namespace newswire::app
