#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/core/article.h"

// Language identification with CLD2. Pure and thread-safe: CLD2's tables are read-only.
namespace newswire::pipeline {

struct LanguageGuess {
  std::string code;         // BCP 47 ("en", "fr", "zh-Hant"); empty when unknown
  double confidence = 0.0;  // 0..1
};

// Only this many leading bytes of the title and of the body are read: about 170 words of prose
// settle CLD2's vote, and its cost grows with the text (about 20 µs per KiB here); detection
// was a quarter of the daemon's CPU time when it read 16 KiB (docs/performance.md).
inline constexpr std::size_t kLanguageSampleBytes = 1024;

// The language of `title` and `body` (UTF-8 plain text). The confidence is the share of the text
// in that language (CLD2's percent), halved when CLD2 does not call the result reliable. An empty
// body gives {"", 0}: a headline alone is mostly names and too short to tell.
LanguageGuess DetectLanguage(std::string_view title, std::string_view body);

// Detection at least this sure overrides a language the input declared.
inline constexpr double kOverrideDeclaredLanguageConfidence = 0.9;

// Sets article.language, language_confidence and provenance["language"] from DetectLanguage.
// A language the input declared (<html lang>, xml:lang, a JSON field) is checked against it:
// - detection agrees (same primary language): the declared tag is kept ("en-GB" stays) with the
//   provenance its decoder set, and the confidence is detection's;
// - detection disagrees with confidence >= kOverrideDeclaredLanguageConfidence: the detected
//   language wins (provenance "heuristic"), the declared one is kept in
//   metadata["declared_language"];
// - otherwise the declared tag is kept unconfirmed, with confidence 0.
// Without a declared language, a detected one is set with provenance "heuristic"; nothing is
// set when detection finds nothing.
void AssignLanguage(Article& article);

}  // namespace newswire::pipeline
