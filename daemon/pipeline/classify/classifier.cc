#include "daemon/pipeline/classify/classifier.h"

#include <fmt/format.h>
#include <unicode/uchar.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "daemon/pipeline/classify/folding.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::size_t kShingleWords = 3;
constexpr int kSimHashBits = 64;

// Byte v spread out: bit b of v becomes byte b (0 or 1) of the result.
constexpr std::array<std::uint64_t, 256> kSpreadBits = [] {
  std::array<std::uint64_t, 256> table{};
  for (std::size_t value = 0; value < table.size(); ++value) {
    for (std::size_t bit = 0; bit < 8; ++bit) {
      if (((value >> bit) & 1U) != 0) table[value] |= std::uint64_t{1} << (8 * bit);
    }
  }
  return table;
}();

// The words of `folded` joined by single spaces, and where each word starts in that string, so
// that a shingle is one contiguous slice and hashing it needs no allocation.
struct WordList {
  std::string joined;
  std::vector<std::size_t> word_begin_offsets;
};

// ASCII letters and digits, by byte: the inner loop of SplitWords tests one byte per step.
constexpr std::array<bool, 128> kAsciiWordBytes = [] {
  std::array<bool, 128> table{};
  for (std::size_t byte = 0; byte < table.size(); ++byte) {
    table[byte] = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                  (byte >= '0' && byte <= '9');
  }
  return table;
}();

void SplitWords(std::string_view folded, WordList& words) {
  words.word_begin_offsets.clear();
  // Each separating space stands for at least one skipped character, so the joined words are
  // never longer than the text: they are written into a buffer of that size, a run of ASCII
  // word bytes at a time (per code point appends were the bulk of SimHash's time).
  words.joined.resize(folded.size());
  char* const output = words.joined.data();
  std::size_t length = 0;
  bool in_word = false;
  std::size_t byte_index = 0;
  const std::size_t size = folded.size();
  while (byte_index < size) {
    const auto byte = static_cast<unsigned char>(folded[byte_index]);
    std::size_t run_end = byte_index;
    if (byte < 0x80) {
      if (!kAsciiWordBytes[byte]) {
        in_word = false;
        ++byte_index;
        continue;
      }
      while (run_end < size && static_cast<unsigned char>(folded[run_end]) < 0x80 &&
             kAsciiWordBytes[static_cast<unsigned char>(folded[run_end])]) {
        ++run_end;
      }
    } else {
      const char32_t code_point = NextCodePoint(folded, run_end);
      if (!IsWordCodePoint(code_point)) {
        in_word = false;
        byte_index = run_end;
        continue;
      }
    }
    if (!in_word) {
      if (length > 0) output[length++] = ' ';
      words.word_begin_offsets.push_back(length);
      in_word = true;
    }
    std::memcpy(output + length, folded.data() + byte_index, run_end - byte_index);
    length += run_end - byte_index;
    byte_index = run_end;
  }
  words.joined.resize(length);
}

Result<void> CheckFoldable(std::string_view text, std::string_view field) {
  if (text.size() > std::numeric_limits<std::uint32_t>::max()) {
    return MakeError(
        Stage::kClassify, ErrorCode::kTooLarge,
        fmt::format("{} has {} bytes, more than folding takes (4 GiB)", field, text.size()));
  }
  return {};
}

// SimHash of a text already folded.
std::uint64_t SimHashOfFolded(std::string_view folded) {
  // Per worker thread, reused for every article: no allocation in the steady state.
  thread_local WordList words;
  SplitWords(folded, words);
  const std::size_t word_count = words.word_begin_offsets.size();
  if (word_count == 0) return 0;
  // A short text is one shingle of all its words rather than none, so it still has a hash.
  const std::size_t shingle_count =
      word_count >= kShingleWords ? word_count - kShingleWords + 1 : 1;
  const std::size_t shingle_words = std::min(word_count, kShingleWords);

  // Counting the set bits per position and comparing with half the shingles is the same vote as
  // adding +1/-1 per shingle. The counting is byte-sliced: each hash byte adds its 8 bits to 8
  // byte-wide counters at once (kSpreadBits), 8 additions a shingle instead of 64; the byte
  // counters are emptied into set_bits before they can overflow.
  std::array<std::uint32_t, kSimHashBits> set_bits{};
  std::array<std::uint64_t, 8> byte_counters{};
  std::size_t pending = 0;
  auto flush = [&] {
    for (std::size_t byte = 0; byte < byte_counters.size(); ++byte) {
      for (std::size_t lane = 0; lane < 8; ++lane) {
        set_bits[8 * byte + lane] +=
            static_cast<std::uint32_t>((byte_counters[byte] >> (8 * lane)) & 0xFF);
      }
      byte_counters[byte] = 0;
    }
    pending = 0;
  };
  for (std::size_t first = 0; first < shingle_count; ++first) {
    const std::size_t begin = words.word_begin_offsets[first];
    const std::size_t after_last = first + shingle_words;
    // The shingle ends before the space that precedes the next word, or at the end.
    const std::size_t end =
        after_last < word_count ? words.word_begin_offsets[after_last] - 1 : words.joined.size();
    const std::uint64_t hash = XXH3_64bits(words.joined.data() + begin, end - begin);
    // Unrolled, the eight counters stay in registers instead of a load and store each.
#pragma GCC unroll 8
    for (std::size_t byte = 0; byte < byte_counters.size(); ++byte) {
      byte_counters[byte] += kSpreadBits[(hash >> (8 * byte)) & 0xFF];
    }
    if (++pending == 255) flush();
  }
  flush();
  std::uint64_t simhash = 0;
  for (int bit = 0; bit < kSimHashBits; ++bit) {
    // More shingles with the bit set than without: 2 * set > count.
    if (2 * static_cast<std::uint64_t>(set_bits[bit]) > shingle_count) {
      simhash |= std::uint64_t{1} << bit;
    }
  }
  return simhash;
}

}  // namespace

Result<std::uint64_t> SimHash(std::string_view text) {
  if (text.empty()) return 0;
  if (auto foldable = CheckFoldable(text, "body"); !foldable) {
    return tl::unexpected<Error>(std::move(foldable.error()));
  }
  // Per worker thread, reused for every article: no allocation in the steady state.
  thread_local FoldedText folded;
  FoldInto(text, folded);
  return SimHashOfFolded(folded.text);
}

Result<Article> Classify(Article article) {
  auto simhash = SimHash(article.body);
  if (!simhash) return tl::unexpected<Error>(std::move(simhash.error()));
  article.fingerprints.simhash = *simhash;
  return article;
}

Classifier::Classifier(Taxonomy taxonomy, std::shared_ptr<const TopicRules> topic_rules,
                       std::shared_ptr<const EntityRecognizer> entity_recognizer)
    : taxonomy_(std::move(taxonomy)),
      topic_rules_(std::move(topic_rules)),
      entity_recognizer_(std::move(entity_recognizer)) {}

Result<std::shared_ptr<const Classifier>> Classifier::Build(const ClassifierSources& sources) {
  auto taxonomy = Taxonomy::Parse(sources.taxonomy.text, sources.taxonomy.name);
  if (!taxonomy) return tl::unexpected<Error>(std::move(taxonomy.error()));
  auto topic_rules = TopicRules::Compile(sources.topic_rules, *taxonomy);
  Result<std::shared_ptr<const EntityRecognizer>> entity_recognizer = nullptr;
  if (!sources.iso_3166.name.empty() || !sources.gazetteers.empty()) {
    entity_recognizer = EntityRecognizer::Build(sources.iso_3166, sources.gazetteers);
  }
  Result<Routes> routes = Routes();
  if (!sources.routes.name.empty()) {
    routes = Routes::Parse(sources.routes.text, sources.routes.name, *taxonomy);
  }
  Result<std::shared_ptr<const TopicModel>> model = nullptr;
  if (!sources.model_file.empty()) model = TopicModel::Load(sources.model_file, *taxonomy);
  // Every set of problems at once, so one start (or check-config) shows everything to fix.
  std::vector<const Error*> failures;
  for (const Error* error :
       {topic_rules ? nullptr : &topic_rules.error(),
        entity_recognizer ? nullptr : &entity_recognizer.error(),
        routes ? nullptr : &routes.error(), model ? nullptr : &model.error()}) {
    if (error != nullptr) failures.push_back(error);
  }
  if (failures.size() == 1) return tl::unexpected<Error>(*failures.front());
  if (!failures.empty()) {
    std::string problems;
    for (const Error* error : failures) {
      problems += (problems.empty() ? "" : "\n") + error->message;
    }
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument, std::move(problems));
  }
  auto classifier = std::shared_ptr<Classifier>(
      new Classifier(std::move(*taxonomy), std::move(*topic_rules), std::move(*entity_recognizer)));
  classifier->routes_ = std::move(*routes);
  classifier->model_ = std::move(*model);
  return std::shared_ptr<const Classifier>(std::move(classifier));
}

Result<Article> Classifier::Classify(Article article) const {
  if (auto foldable = CheckFoldable(article.body, "body"); !foldable) {
    return tl::unexpected<Error>(std::move(foldable.error()));
  }
  if (auto foldable = CheckFoldable(article.title, "title"); !foldable) {
    return tl::unexpected<Error>(std::move(foldable.error()));
  }
  // Per worker thread, reused for every article: folded once for fingerprints, topics and
  // entities.
  thread_local FoldedText folded_title;
  thread_local FoldedText folded_body;
  FoldInto(article.title, folded_title);
  FoldInto(article.body, folded_body);
  article.fingerprints.simhash = article.body.empty() ? 0 : SimHashOfFolded(folded_body.text);
  auto topics = topic_rules_->Match(article, folded_title, folded_body);
  if (!topics) return tl::unexpected<Error>(std::move(topics.error()));
  article.topics = std::move(*topics);
  if (model_) {
    auto model_tags = model_->Predict(article);
    if (!model_tags) return tl::unexpected<Error>(std::move(model_tags.error()));
    article.topics =
        FuseTopicTags(std::move(article.topics), std::move(*model_tags), kDefaultModelWeight);
  }
  if (entity_recognizer_) {
    auto recognized = entity_recognizer_->Recognize(article, folded_title, folded_body);
    if (!recognized) return tl::unexpected<Error>(std::move(recognized.error()));
  }
  return article;
}

}  // namespace newswire::pipeline
