#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/shipped_classifier.h"

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

}  // namespace newswire::pipeline::test_helpers
