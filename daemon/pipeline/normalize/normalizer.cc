#include "daemon/pipeline/normalize/normalizer.h"

#include <fmt/format.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "daemon/pipeline/normalize/derived_title.h"
#include "daemon/pipeline/normalize/identity.h"
#include "daemon/pipeline/normalize/language.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::string_view kParagraphSeparator = "\n\n";
constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// Title and subtitle are single lines; the body keeps its paragraph structure.
enum class LineBreaks { kFoldToSpace, kSeparateParagraphs };

// Characters dropped without a trace: they are invisible, and keeping them would give visually
// identical articles different ids.
bool IsRemovable(char32_t code_point) {
  if (code_point < 0x80) return code_point < 0x20 || code_point == 0x7F;
  return code_point == kByteOrderMark ||
         u_charType(static_cast<UChar32>(code_point)) == U_CONTROL_CHAR;
}

// '!' to '~': never whitespace, a line break or removable.
bool IsVisibleAscii(char character) { return character > ' ' && character < '\x7F'; }

bool IsLetterOrDigit(char32_t code_point) {
  if (code_point < 0x80) {
    return (code_point >= 'a' && code_point <= 'z') || (code_point >= 'A' && code_point <= 'Z') ||
           (code_point >= '0' && code_point <= '9');
  }
  return u_isalnum(static_cast<UChar32>(code_point));
}

// One pass over `text`: folds whitespace, drops control characters and empty paragraphs, and
// separates paragraphs with "\n\n". Whitespace and breaks are only written when visible text
// follows them, so the result has no leading or trailing whitespace. Ill-formed UTF-8 (which a
// decoder should already have refused) becomes U+FFFD and is counted in `replaced_sequences`.
std::string CleanText(std::string_view text, LineBreaks line_breaks,
                      std::size_t& replaced_sequences) {
  std::string cleaned;
  cleaned.reserve(text.size());
  bool pending_space = false;
  bool pending_break = false;
  std::size_t byte_index = 0;
  while (byte_index < text.size()) {
    // Fast path, most of any news text: a run of visible ASCII with single spaces between its
    // words is copied as is, since folding, dropping or replacing never changes such a run.
    if (IsVisibleAscii(text[byte_index])) {
      std::size_t run_end = byte_index + 1;
      while (run_end < text.size()) {
        if (IsVisibleAscii(text[run_end])) {
          ++run_end;
        } else if (text[run_end] == ' ' && run_end + 1 < text.size() &&
                   IsVisibleAscii(text[run_end + 1])) {
          run_end += 2;
        } else {
          break;
        }
      }
      if (pending_break) {
        cleaned.append(kParagraphSeparator);
      } else if (pending_space) {
        cleaned.push_back(' ');
      }
      pending_break = false;
      pending_space = false;
      cleaned.append(text.substr(byte_index, run_end - byte_index));
      byte_index = run_end;
      continue;
    }
    const std::size_t code_point_begin = byte_index;
    const char32_t code_point = NextCodePoint(text, byte_index);
    if (IsLineBreak(code_point) && line_breaks == LineBreaks::kSeparateParagraphs) {
      if (!cleaned.empty()) pending_break = true;
      pending_space = false;
      continue;
    }
    if (IsLineBreak(code_point) || IsHorizontalSpace(code_point)) {
      if (!cleaned.empty() && !pending_break) pending_space = true;
      continue;
    }
    if (IsRemovable(code_point)) continue;

    if (pending_break) {
      cleaned.append(kParagraphSeparator);
    } else if (pending_space) {
      cleaned.push_back(' ');
    }
    pending_break = false;
    pending_space = false;
    const std::string_view sequence = text.substr(code_point_begin, byte_index - code_point_begin);
    if (code_point == kReplacementCharacter && sequence != kReplacementUtf8) {
      cleaned.append(kReplacementUtf8);
      ++replaced_sequences;
    } else {
      cleaned.append(sequence);
    }
  }
  return cleaned;
}

// Puts `text` in NFC in place. Most news text already is NFC, so the quick check avoids a copy.
Result<void> ToNfc(const icu::Normalizer2& nfc, std::string& text, std::string_view field) {
  if (text.empty()) return {};
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    return MakeError(
        Stage::kNormalize, ErrorCode::kTooLarge,
        fmt::format("{} has {} bytes, more than ICU can normalize", field, text.size()));
  }
  const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  UErrorCode status = U_ZERO_ERROR;
  if (nfc.isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return {};
  status = U_ZERO_ERROR;
  std::string normalized;
  normalized.reserve(text.size());
  icu::StringByteSink<std::string> sink(&normalized);
  nfc.normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_FAILURE(status)) {
    return MakeError(
        Stage::kNormalize, ErrorCode::kInternal,
        fmt::format("ICU NFC normalization of the {} failed: {}", field, u_errorName(status)));
  }
  text = std::move(normalized);
  return {};
}

// Whitespace-separated tokens that hold at least one letter or digit: "U.S." and "$3.5" are
// words, a dash between spaces is not. After CleanText the only separators are ' ' and '\n'.
std::size_t CountWords(std::string_view text) {
  std::size_t words = 0;
  bool token_counted = false;
  std::size_t byte_index = 0;
  while (byte_index < text.size()) {
    const char32_t code_point = NextCodePoint(text, byte_index);
    if (code_point == ' ' || code_point == '\n') {
      token_counted = false;
    } else if (!token_counted && IsLetterOrDigit(code_point)) {
      ++words;
      token_counted = true;
    }
  }
  return words;
}

std::size_t CountParagraphs(std::string_view body) {
  if (body.empty()) return 0;
  // Paragraphs never contain a newline, and each separator is exactly two.
  return static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n')) / 2 + 1;
}

}  // namespace

Result<Article> Normalize(Article article) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || nfc == nullptr) {
    return MakeError(Stage::kNormalize, ErrorCode::kInternal,
                     fmt::format("ICU has no NFC data: {}", u_errorName(status)));
  }

  std::size_t& replaced = article.stats.replaced_sequences;
  article.title = CleanText(article.title, LineBreaks::kFoldToSpace, replaced);
  article.subtitle = CleanText(article.subtitle, LineBreaks::kFoldToSpace, replaced);
  article.body = CleanText(article.body, LineBreaks::kSeparateParagraphs, replaced);
  // NFC after cleaning: removing a control character can bring a base letter and a combining
  // mark together, and NFC never turns visible characters into whitespace or controls.
  for (auto [text, field] :
       {std::pair{&article.title, "title"}, std::pair{&article.subtitle, "subtitle"},
        std::pair{&article.body, "body"}}) {
    if (auto normalized = ToNfc(*nfc, *text, field); !normalized) {
      return tl::unexpected<Error>(std::move(normalized.error()));
    }
  }
  if (article.title.empty() && article.body.empty()) {
    return MakeError(Stage::kNormalize, ErrorCode::kEmptyInput,
                     "no text left after normalization: title and body hold only whitespace "
                     "and control characters");
  }

  article.stats.paragraphs = CountParagraphs(article.body);
  article.stats.words = CountWords(article.title) + CountWords(article.body);
  article.stats.characters = CountCodePoints(article.title) + CountCodePoints(article.body);
  // "!!!!!", a line of 10,000 '[' or a run of dashes is not news: without a single letter or
  // digit there is nothing to classify, and downstream would only see noise.
  if (article.stats.words == 0) {
    return MakeError(Stage::kNormalize, ErrorCode::kEmptyInput,
                     fmt::format("no words: title and body hold {} characters and none is a "
                                 "letter or digit",
                                 article.stats.characters));
  }
  AssignIdentity(article);
  // On the cleaned text: markup remnants and control characters would skew the guess.
  AssignLanguage(article);
  // Last, and beside `title` rather than in it: the id, revision, statistics and language are
  // those of the text the input has, and the classifier reads `title` only, so a derived title
  // feeds no topic rule, topic model or entity salience (its sentence counts once, in the body).
  article.derived_title = article.title.empty() ? DeriveTitle(article.body) : std::string();
  article.flags.title_derived = !article.derived_title.empty();
  if (article.flags.title_derived) article.provenance["title"] = "first_sentence";
  return article;
}

}  // namespace newswire::pipeline
