#include "daemon/pipeline/normalize/language.h"

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <algorithm>
#include <array>
#include <utility>

namespace newswire::pipeline {
namespace {

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence, which CLD2 would
// otherwise count as invalid input.
std::string_view Prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// CLD2 still uses a few withdrawn ISO 639 codes; BCP 47 wants the current ones.
std::string CurrentCode(std::string_view code) {
  if (code == "iw") return "he";
  if (code == "in") return "id";
  if (code == "ji") return "yi";
  if (code == "jw") return "jv";
  return std::string(code);
}

}  // namespace

LanguageGuess DetectLanguage(std::string_view title, std::string_view body) {
  if (body.empty()) return {};
  std::string sample;
  sample.reserve(title.size() + 2 + std::min(body.size(), kLanguageSampleBytes));
  sample.append(Prefix(title, kLanguageSampleBytes));
  sample.append("\n\n");
  sample.append(Prefix(body, kLanguageSampleBytes));

  std::array<CLD2::Language, 3> languages{};
  std::array<int, 3> percents{};
  std::array<double, 3> scores{};
  int text_bytes = 0;
  bool is_reliable = false;
  int valid_prefix_bytes = 0;
  const CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  // The checked variant: the normalizer's output is UTF-8, but CLD2 must never read past a bad
  // byte if that ever changes.
  const CLD2::Language language = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      sample.data(), static_cast<int>(sample.size()), /*is_plain_text=*/true, &hints, /*flags=*/0,
      languages.data(), percents.data(), scores.data(), /*resultchunkvector=*/nullptr, &text_bytes,
      &is_reliable, &valid_prefix_bytes);
  if (language == CLD2::UNKNOWN_LANGUAGE || language == CLD2::TG_UNKNOWN_LANGUAGE) return {};

  LanguageGuess guess;
  guess.code = CurrentCode(CLD2::LanguageCode(language));
  const int percent = languages[0] == language ? percents[0] : 0;
  guess.confidence = static_cast<double>(percent) / 100.0 * (is_reliable ? 1.0 : 0.5);
  return guess;
}

namespace {

// "en-GB", "EN_us" and "en" name one language; CLD2's "zh-Hant" is "zh". Also maps withdrawn
// codes a page may still declare ("iw") to current ones.
std::string PrimaryLanguage(std::string_view tag) {
  std::string primary(tag.substr(0, tag.find_first_of("-_")));
  std::transform(primary.begin(), primary.end(), primary.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  primary = CurrentCode(primary);
  // Norwegian: CLD2 says "no", pages say "nb" (Bokmål) or "nn" (Nynorsk).
  if (primary == "nb" || primary == "nn") return "no";
  return primary;
}

}  // namespace

void AssignLanguage(Article& article) {
  LanguageGuess guess = DetectLanguage(article.title, article.body);
  if (!article.language.empty()) {
    if (guess.code.empty()) return;  // kept as declared, unconfirmed: confidence 0
    if (PrimaryLanguage(guess.code) == PrimaryLanguage(article.language)) {
      article.language_confidence = guess.confidence;  // the declared tag keeps its region
      return;
    }
    if (guess.confidence < kOverrideDeclaredLanguageConfidence) return;
    // Templates declare one language for a whole site ("en" on a French article); the text
    // itself is the better witness when detection is sure.
    article.metadata["declared_language"] = std::move(article.language);
  }
  if (guess.code.empty()) return;
  article.language = std::move(guess.code);
  article.language_confidence = guess.confidence;
  article.provenance["language"] = "heuristic";
}

}  // namespace newswire::pipeline
