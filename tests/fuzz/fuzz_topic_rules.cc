// The topic rule compiler on any YAML: it must refuse what it cannot compile with an error (every
// problem as file:line:col), never crash, and rules it accepts must match an article safely.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "daemon/core/article.h"
#include "daemon/pipeline/classify/taxonomy.h"
#include "daemon/pipeline/classify/topic_rules.h"

namespace {

std::optional<newswire::pipeline::Taxonomy> taxonomy;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const std::string path = NEWSWIRE_SOURCE_DIR "/config/taxonomy/iptc-mediatopics.tsv";
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  auto parsed = newswire::pipeline::Taxonomy::Parse(text.str(), path);
  if (!parsed) {
    std::fprintf(stderr, "fuzz_topic_rules: %s\n", parsed.error().Describe().c_str());
    std::abort();
  }
  taxonomy = std::move(*parsed);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const newswire::pipeline::RuleSource source{
      "fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)};
  auto rules = newswire::pipeline::TopicRules::Compile({source}, *taxonomy);
  if (!rules) {
    if (rules.error().message.empty()) __builtin_trap();
    return 0;
  }
  newswire::Article article;
  article.title = "Parliament votes on the budget as markets fall";
  article.body = "The central bank raised interest rates.\n\nFloods hit the coast after the storm.";
  (void)(*rules)->Match(article);
  return 0;
}
