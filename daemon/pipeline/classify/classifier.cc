#include "daemon/pipeline/classify/classifier.h"

#include <fmt/format.h>
#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/uchar.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::size_t kShingleWords = 3;
constexpr int kSimHashBits = 64;

bool IsWordCharacter(char32_t code_point) {
  if (code_point < 0x80) {
    return (code_point >= 'a' && code_point <= 'z') || (code_point >= 'A' && code_point <= 'Z') ||
           (code_point >= '0' && code_point <= '9');
  }
  // Marks belong to their word: Devanagari vowel signs, decomposed accents.
  constexpr std::uint32_t kWordCategories = U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK;
  return (U_GET_GC_MASK(static_cast<UChar32>(code_point)) & kWordCategories) != 0;
}

// The words of `folded` joined by single spaces, and where each word starts in that string, so
// that a shingle is one contiguous slice and hashing it needs no allocation.
struct WordList {
  std::string joined;
  std::vector<std::size_t> word_begin_offsets;
};

WordList SplitWords(std::string_view folded) {
  WordList words;
  words.joined.reserve(folded.size());
  bool in_word = false;
  std::size_t byte_index = 0;
  while (byte_index < folded.size()) {
    const std::size_t code_point_begin = byte_index;
    const char32_t code_point = NextCodePoint(folded, byte_index);
    if (!IsWordCharacter(code_point)) {
      in_word = false;
      continue;
    }
    if (!in_word) {
      if (!words.joined.empty()) words.joined.push_back(' ');
      words.word_begin_offsets.push_back(words.joined.size());
      in_word = true;
    }
    words.joined.append(folded.substr(code_point_begin, byte_index - code_point_begin));
  }
  return words;
}

}  // namespace

Result<std::uint64_t> SimHash(std::string_view text) {
  if (text.empty()) return 0;
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    return MakeError(Stage::kClassify, ErrorCode::kTooLarge,
                     fmt::format("body has {} bytes, more than ICU can case-fold", text.size()));
  }
  std::string folded;
  folded.reserve(text.size());
  icu::StringByteSink<std::string> sink(&folded);
  UErrorCode status = U_ZERO_ERROR;
  icu::CaseMap::utf8Fold(U_FOLD_CASE_DEFAULT,
                         icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink,
                         nullptr, status);
  if (U_FAILURE(status)) {
    return MakeError(Stage::kClassify, ErrorCode::kInternal,
                     fmt::format("ICU case folding failed: {}", u_errorName(status)));
  }

  const WordList words = SplitWords(folded);
  const std::size_t word_count = words.word_begin_offsets.size();
  if (word_count == 0) return 0;
  // A short text is one shingle of all its words rather than none, so it still has a hash.
  const std::size_t shingle_count =
      word_count >= kShingleWords ? word_count - kShingleWords + 1 : 1;
  const std::size_t shingle_words = std::min(word_count, kShingleWords);

  std::array<std::int64_t, kSimHashBits> votes{};
  for (std::size_t first = 0; first < shingle_count; ++first) {
    const std::size_t begin = words.word_begin_offsets[first];
    const std::size_t after_last = first + shingle_words;
    // The shingle ends before the space that precedes the next word, or at the end.
    const std::size_t end =
        after_last < word_count ? words.word_begin_offsets[after_last] - 1 : words.joined.size();
    const std::uint64_t hash = XXH3_64bits(words.joined.data() + begin, end - begin);
    for (int bit = 0; bit < kSimHashBits; ++bit) {
      votes[bit] += ((hash >> bit) & 1U) != 0 ? 1 : -1;
    }
  }
  std::uint64_t simhash = 0;
  for (int bit = 0; bit < kSimHashBits; ++bit) {
    if (votes[bit] > 0) simhash |= std::uint64_t{1} << bit;
  }
  return simhash;
}

Result<Article> Classify(Article article) {
  auto simhash = SimHash(article.body);
  if (!simhash) return tl::unexpected<Error>(std::move(simhash.error()));
  article.fingerprints.simhash = *simhash;
  return article;
}

Classifier::Classifier(Taxonomy taxonomy, std::shared_ptr<const TopicRules> topic_rules)
    : taxonomy_(std::move(taxonomy)), topic_rules_(std::move(topic_rules)) {}

Result<std::shared_ptr<const Classifier>> Classifier::Build(const ClassifierSources& sources) {
  auto taxonomy = Taxonomy::Parse(sources.taxonomy.text, sources.taxonomy.name);
  if (!taxonomy) return tl::unexpected<Error>(std::move(taxonomy.error()));
  auto topic_rules = TopicRules::Compile(sources.topic_rules, *taxonomy);
  if (!topic_rules) return tl::unexpected<Error>(std::move(topic_rules.error()));
  return std::shared_ptr<const Classifier>(
      new Classifier(std::move(*taxonomy), std::move(*topic_rules)));
}

Result<Article> Classifier::Classify(Article article) const {
  auto fingerprinted = pipeline::Classify(std::move(article));
  if (!fingerprinted) return fingerprinted;
  auto topics = topic_rules_->Match(*fingerprinted);
  if (!topics) return tl::unexpected<Error>(std::move(topics.error()));
  fingerprinted->topics = std::move(*topics);
  return fingerprinted;
}

}  // namespace newswire::pipeline
