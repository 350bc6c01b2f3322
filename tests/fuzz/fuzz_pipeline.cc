// The whole pipeline with the shipped classifier (topic rules, gazetteers, taxonomy), as the
// daemon runs it on a file: decode, normalize, classify, remember (no memory here) and encode.
// Nothing may crash, and every event must be UTF-8 JSON without a NUL.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "daemon/pipeline/pipeline.h"
#include "daemon/pipeline/unicode_text.h"
#include "tests/support/shipped_classifier.h"

namespace {

std::unique_ptr<newswire::pipeline::Pipeline> pipeline;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  auto classifier = newswire::test_support::BuildShippedClassifier();
  if (!classifier) {
    std::fprintf(stderr, "fuzz_pipeline: %s\n", classifier.error().Describe().c_str());
    std::abort();
  }
  newswire::pipeline::PipelineOptions options;
  options.classifier = *classifier;
  options.max_articles_per_item = 1000;
  pipeline = std::make_unique<newswire::pipeline::Pipeline>(std::move(options));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  newswire::RawArticle raw;
  raw.bytes.assign(reinterpret_cast<const char*>(data), size);
  raw.origin.source_name = "fuzz";
  raw.origin.path = "/fuzz/input";
  auto processed = pipeline->Process(raw, std::chrono::system_clock::now());
  if (!processed) return 0;
  for (const auto& event : *processed) {
    if (!event) continue;
    if (newswire::pipeline::FindInvalidUtf8(event->value)) __builtin_trap();
    if (event->value.find('\0') != std::string::npos) __builtin_trap();
    if (event->value.empty() || event->value.front() != '{' || event->value.back() != '}') {
      __builtin_trap();
    }
  }
  return 0;
}
