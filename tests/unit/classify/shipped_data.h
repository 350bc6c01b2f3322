#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/support/shipped_classifier.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline::test_helpers {

// The shipped classifier, built once per test executable.
inline const Classifier& ShippedClassifier() {
  static const std::shared_ptr<const Classifier> classifier = [] {
    auto built = test_support::BuildShippedClassifier();
    EXPECT_TRUE(built.has_value()) << built.error().Describe();
    return built ? *built : nullptr;
  }();
  return *classifier;
}

// `article` normalized and classified by the shipped classifier, as the pipeline does.
inline Article ClassifiedArticle(Article article) {
  auto classified = Normalize(std::move(article)).and_then([](Article normalized) {
    return ShippedClassifier().Classify(std::move(normalized));
  });
  EXPECT_TRUE(classified.has_value()) << classified.error().Describe();
  return classified ? std::move(*classified) : Article{};
}

// A sample file decoded as text, normalized and classified.
inline Article ClassifiedSample(const Sample& sample) {
  auto decoded = DecodeText(SampleItem(sample));
  EXPECT_TRUE(decoded.has_value() && decoded->size() == 1 && decoded->front().has_value());
  if (!decoded || decoded->empty() || !decoded->front()) return {};
  return ClassifiedArticle(std::move(*decoded->front()));
}

}  // namespace newswire::pipeline::test_helpers
