#include "daemon/pipeline/decode/text_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "daemon/pipeline/decode/charset.h"
#include "daemon/pipeline/decode/json_ld.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// The line that starts at `byte_index`, without its terminator; `byte_index` is advanced past
// the terminator, and CR LF counts as one terminator.
std::string_view NextLine(std::string_view text, std::size_t& byte_index) {
  const std::size_t line_begin = byte_index;
  while (byte_index < text.size()) {
    const std::size_t code_point_begin = byte_index;
    const char32_t code_point = NextCodePoint(text, byte_index);
    if (IsLineBreak(code_point)) {
      if (code_point == '\r' && byte_index < text.size() && text[byte_index] == '\n') {
        ++byte_index;
      }
      return text.substr(line_begin, code_point_begin - line_begin);
    }
  }
  return text.substr(line_begin);
}

// Page furniture is short; a longer line is article text whatever words it holds.
constexpr std::size_t kMaxFurnitureWords = 40;
constexpr std::size_t kMaxLabelBytes = 64;
// A title or heading has at most this many words; a first line longer than that is prose.
constexpr std::size_t kMaxTitleWords = 25;
constexpr std::size_t kMaxHeadingWords = 20;
constexpr std::size_t kMinProseWords = 12;
// How far a JSON-LD block may reach from its opening line. Bounds the scan for a '{' that
// never closes, so a hostile dump costs linear time.
constexpr std::size_t kMaxJsonLdBytes = 1 << 20;
// The head (breadcrumb, title, byline, subtitle) is within the first few lines.
constexpr std::size_t kHeadLines = 5;

// `needle` must be lowercase ASCII; `text` is compared ASCII-case-insensitively.
bool StartsWithNoCase(std::string_view text, std::string_view needle) {
  if (text.size() < needle.size()) return false;
  for (std::size_t index = 0; index < needle.size(); ++index) {
    if (AsciiLower(text[index]) != needle[index]) return false;
  }
  return true;
}

bool EqualsNoCase(std::string_view text, std::string_view needle) {
  return text.size() == needle.size() && StartsWithNoCase(text, needle);
}

bool ContainsNoCase(std::string_view text, std::string_view needle) {
  for (std::size_t at = 0; at + needle.size() <= text.size(); ++at) {
    if (StartsWithNoCase(text.substr(at), needle)) return true;
  }
  return false;
}

bool EqualsIgnoringAsciiCase(std::string_view left, std::string_view right) {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    if (AsciiLower(left[index]) != AsciiLower(right[index])) return false;
  }
  return true;
}

std::size_t CountWords(std::string_view line) {
  std::size_t words = 0;
  bool in_word = false;
  for (const char character : line) {
    const bool space = character == ' ' || character == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t')) ++at;
    const std::size_t begin = at;
    while (at < line.size() && line[at] != ' ' && line[at] != '\t') ++at;
    if (at > begin) words.push_back(line.substr(begin, at - begin));
  }
  return words;
}

// The last code point of a non-empty line.
char32_t LastCodePoint(std::string_view line) {
  std::size_t begin = line.size() - 1;
  while (begin > 0 && (static_cast<unsigned char>(line[begin]) & 0xC0) == 0x80) --begin;
  return NextCodePoint(line, begin);
}

bool EndsSentence(std::string_view line) {
  if (line.empty()) return false;
  const char32_t last = LastCodePoint(line);
  return last == '.' || last == '!' || last == '?' || last == '"' || last == ')' ||
         last == 0x201D || last == 0x2019 || last == 0x2026;
}

// A title or heading ends without a full stop or a clause mark; a prose line with a few words
// and a full stop is not one.
bool IsHeadingLike(std::string_view line, std::size_t max_words) {
  const std::size_t words = CountWords(line);
  if (words == 0 || words > max_words) return false;
  const char32_t last = LastCodePoint(line);
  return last != '.' && last != ',' && last != ';' && last != ':';
}

// A dump's first line is its title unless it reads as a paragraph: many words, or a sentence of
// more than a headline's length.
bool IsTitleLike(std::string_view line) {
  const std::size_t words = CountWords(line);
  if (words == 0 || words > kMaxTitleWords) return false;
  return LastCodePoint(line) != '.' || words <= kMinProseWords;
}

bool IsProse(std::string_view line) {
  return CountWords(line) >= kMinProseWords && EndsSentence(line);
}

// "0 comments", "12 Comments": a comment counter.
bool IsCommentCount(std::string_view line) {
  std::size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
  if (digits == 0) return false;
  const std::string_view rest = TrimSpace(line.substr(digits));
  return EqualsNoCase(rest, "comments") || EqualsNoCase(rest, "comment") ||
         EqualsNoCase(rest, "responses") || EqualsNoCase(rest, "replies");
}

constexpr std::string_view kLabels[] = {
    "full transcript",
    "transcript",
    "advertisement",
    "advertisements",
    "sponsored",
    "sponsored content",
    "skip to content",
    "skip to main content",
    "share this article",
    "share this story",
    "share",
    "print",
    "listen to this article",
    "comments",
    "no comments",
    "show comments",
    "loading...",
    "scroll to continue with content",
};

// Only at the end of a page: the same words inside an article ("more from the minister") are
// text, so these are never removed from the middle.
constexpr std::string_view kTrailerPrefixes[] = {
    "you may also like",
    "you might also like",
    "you may like",
    "leave a comment",
    "leave a reply",
    "cancel reply",
    "related posts",
    "related articles",
    "related stories",
    "related:",
    "read also",
    "read next",
    "discover more from ",
    "subscribe to ",
    "sign up for ",
    "follow us on ",
    "share this:",
    "like this:",
    "post navigation",
    "this site uses akismet",
    "adblock detected",
    "ad blocker detected",
    "please support us by disabling",
    "please disable your ad",
    "about the author",
};
constexpr std::string_view kTrailerPhrases[] = {
    "in the comments",
    "share your thoughts",
    "let us know what you think",
    "explore more articles",
    "adblock",
    "ad blocker",
    "adblocker",
    "sent to your email",
    "akismet",
    "your comment data",
    "appeared first on",  // WordPress's feed footer: "The post X appeared first on Y."
};
constexpr std::string_view kPaywallPhrases[] = {
    "subscribers only",     "for subscribers",      "subscribe to continue", "subscribe to read",
    "already a subscriber", "subscribe now to",     "premium content",       "log in to read",
    "unlock this article",  "exclusive to members", "members only",
};
constexpr std::string_view kTeasers[] = {
    "read more",
    "continue reading",
    "read the full article",
    "read full story",
    "read the full story",
    "[...]",
    "[\xE2\x80\xA6]",
    "(more)",
    "\xE2\x80\xA6",
};

constexpr std::string_view kDiscoverMoreFrom = "discover more from ";

// First words of a job title; a byline's name ends where one of these begins.
constexpr std::string_view kRoleWords[] = {
    "senior",       "chief",        "editor",          "editors",       "news",
    "staff",        "writer",       "reporter",        "correspondent", "contributor",
    "contributing", "columnist",    "managing",        "associate",     "deputy",
    "executive",    "assistant",    "political",       "foreign",       "business",
    "sports",       "special",      "investigative",   "digital",       "desk",
    "producer",     "analyst",      "journalist",      "freelance",     "head",
    "lead",         "bureau",       "international",   "science",       "technology",
    "health",       "opinion",      "features",        "editorial",     "content",
    "copy",         "photographer", "guest",           "junior",        "breaking",
    "national",     "economics",    "culture",         "politics",      "intern",
    "director",     "manager",      "editor-in-chief",
};

// Lowercase particles of names: "Ludwig van Beethoven", "Ana de la Cruz".
constexpr std::string_view kNameParticles[] = {"de",  "da",  "del", "der", "di",  "la",  "le",
                                               "van", "von", "al",  "bin", "ibn", "dos", "du"};

template <std::size_t kSize>
bool IsOneOf(std::string_view word, const std::string_view (&list)[kSize]) {
  for (const std::string_view entry : list) {
    if (EqualsNoCase(word, entry)) return true;
  }
  return false;
}

bool IsRoleWord(std::string_view word) {
  while (!word.empty() && (word.back() == ',' || word.back() == '.')) word.remove_suffix(1);
  return IsOneOf(word, kRoleWords);
}

// Capitalized words that start sentences like "By Tuesday the river had risen": never a name
// on their own.
constexpr std::string_view kDayAndMonthNames[] = {
    "monday",  "tuesday",   "wednesday", "thursday", "friday",  "saturday", "sunday",
    "january", "february",  "march",     "april",    "may",     "june",     "july",
    "august",  "september", "october",   "november", "december"};

bool IsNameWord(std::string_view word) {
  if (IsOneOf(word, kNameParticles)) return true;
  std::size_t index = 0;
  const char32_t first = NextCodePoint(word, index);
  // ASCII lowercase starts a common word, not a name; any non-ASCII letter may start a name.
  return !(first >= 'a' && first <= 'z') && first != '(' && !(first >= '0' && first <= '9');
}

// One author of a byline: "James Carter Senior News Editor", "Chief Editor", "Ann Lee".
std::optional<Person> ParseBylinePerson(std::string_view chunk) {
  const std::vector<std::string_view> words = SplitWords(chunk);
  if (words.empty()) return std::nullopt;
  std::size_t role_begin = 0;
  while (role_begin < words.size() && !IsRoleWord(words[role_begin])) ++role_begin;
  constexpr std::size_t kMaxNameWords = 5;
  if (role_begin > kMaxNameWords) return std::nullopt;
  for (std::size_t index = 0; index < role_begin; ++index) {
    if (!IsNameWord(words[index])) return std::nullopt;
  }
  if (role_begin == 1 && IsOneOf(words[0], kDayAndMonthNames)) return std::nullopt;
  Person person;
  if (role_begin > 0) {
    const char* name_end = words[role_begin - 1].data() + words[role_begin - 1].size();
    person.name.assign(words[0].data(), name_end);
  }
  if (role_begin < words.size()) {
    const char* role_end = words.back().data() + words.back().size();
    person.role.assign(words[role_begin].data(), role_end);
  }
  return person;
}

// The byline's author list split at "and", "&", ";" and ",". A comma piece made only of a job
// title ("Ann Lee, Senior Editor") is the role of the person before it; a last comma piece of
// one word ("Ann Lee and Bo Li, Reuters") names an agency or a place, not a person, and is left
// out.
std::optional<std::vector<Person>> ParseBylineList(std::string_view list) {
  std::vector<Person> people;
  std::size_t at = 0;
  bool after_comma = false;
  while (at <= list.size()) {
    std::size_t cut = list.size();
    std::size_t cut_length = 0;
    for (const std::string_view separator : {std::string_view(" and "), std::string_view(" & "),
                                             std::string_view(";"), std::string_view(",")}) {
      const std::size_t found = list.find(separator, at);
      if (found != std::string_view::npos && found < cut) {
        cut = found;
        cut_length = separator.size();
      }
    }
    const std::string_view chunk = TrimSpace(list.substr(at, cut - at));
    if (!chunk.empty()) {
      auto person = ParseBylinePerson(chunk);
      if (!person) return std::nullopt;
      const bool affiliation = after_comma && cut == list.size() && !people.empty() &&
                               person->role.empty() && CountWords(chunk) == 1;
      if (person->name.empty() && !people.empty() && people.back().role.empty()) {
        people.back().role = std::move(person->role);
      } else if (!affiliation) {
        people.push_back(std::move(*person));
      }
    }
    if (cut == list.size()) break;
    after_comma = list[cut] == ',';
    at = cut + cut_length;
  }
  if (people.empty()) return std::nullopt;
  return people;
}

// Comment solicitations: at the end of a last paragraph they are furniture the page appended.
constexpr std::string_view kCallToActionPhrases[] = {
    "in the comments",    "share your thoughts",        "share your insights", "share your views",
    "share your opinion", "let us know what you think", "let us know in",
};

// Where the last sentence of `text` begins: after the last '.', '!' or '?' (and closing quote)
// that a space follows, or 0. An abbreviation ("U.S. troops") may cut a sentence short, which
// only makes the caller remove less.
std::size_t LastSentenceBegin(std::string_view text) {
  std::size_t at = text.size();
  while (at > 1) {
    --at;
    if (text[at] != ' ') continue;
    std::size_t mark = at;
    // A closing quote after the mark: '"', U+2019, U+201D.
    if (mark >= 1 && text[mark - 1] == '"') --mark;
    if (mark >= 3 && text.substr(mark - 3, 2) == "\xE2\x80" &&
        (text[mark - 1] == '\x99' || text[mark - 1] == '\x9D')) {
      mark -= 3;
    }
    if (mark >= 1 && (text[mark - 1] == '.' || text[mark - 1] == '!' || text[mark - 1] == '?')) {
      return at + 1;
    }
  }
  return 0;
}

bool IsCallToAction(std::string_view sentence) {
  constexpr std::size_t kMaxCallToActionWords = 25;
  if (CountWords(sentence) > kMaxCallToActionWords) return false;
  for (const std::string_view phrase : kCallToActionPhrases) {
    if (ContainsNoCase(sentence, phrase)) return true;
  }
  return false;
}

// "What are your predictions for ...?": the question a comment solicitation answers.
bool IsReaderQuestion(std::string_view sentence) {
  constexpr std::size_t kMaxQuestionWords = 30;
  return !sentence.empty() && sentence.back() == '?' && CountWords(sentence) <= kMaxQuestionWords &&
         (ContainsNoCase(sentence, "your ") || ContainsNoCase(sentence, " you "));
}

// The length `line` keeps once the comment solicitation at its end (and the reader question
// just before it) is cut; line.size() when it has none.
std::size_t WithoutTrailingCallToAction(std::string_view line) {
  std::size_t keep = line.size();
  bool cut_call = false;
  while (keep > 0) {
    const std::string_view head = TrimSpace(line.substr(0, keep));
    const std::size_t begin = LastSentenceBegin(head);
    const std::string_view sentence = TrimSpace(head.substr(begin));
    if (IsCallToAction(sentence)) {
      cut_call = true;
    } else if (!cut_call || !IsReaderQuestion(sentence)) {
      break;
    }
    keep = begin;
    if (cut_call && IsReaderQuestion(sentence)) break;
  }
  return TrimSpace(line.substr(0, keep)).size();
}

Error BinaryDataError(std::string_view bytes, std::size_t nul_offset) {
  const bool has_utf16_mark = bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF");
  return Error{Stage::kDecode, ErrorCode::kUnsupportedFormat,
               fmt::format("binary data: NUL byte at byte {}; {}", nul_offset,
                           has_utf16_mark ? "this looks like UTF-16, convert it to UTF-8 first"
                                          : NulBytesAdvice(bytes))};
}

bool LooksLikeJsonLd(std::string_view block) {
  return block.find("@context") != std::string_view::npos ||
         block.find("@type") != std::string_view::npos;
}

// Fields from JSON-LD blocks, first block first: a later block fills only what is still empty.
void MergeJsonLd(JsonLdInfo& into, JsonLdInfo&& from) {
  auto fill = [](std::string& field, std::string& value) {
    if (field.empty()) field = std::move(value);
  };
  fill(into.headline, from.headline);
  fill(into.publisher, from.publisher);
  fill(into.published_time, from.published_time);
  fill(into.modified_time, from.modified_time);
  fill(into.description, from.description);
  if (into.authors.empty()) into.authors = std::move(from.authors);
  for (auto& pair : from.faq) into.faq.push_back(std::move(pair));
}

// "Q: ..." followed by "A: ...": an FAQ written as text.
std::string_view AfterPrefix(std::string_view line,
                             std::initializer_list<std::string_view> prefixes) {
  for (const std::string_view prefix : prefixes) {
    if (StartsWithNoCase(line, prefix)) return TrimSpace(line.substr(prefix.size()));
  }
  return {};
}

std::vector<QuestionAnswer> FindTextFaq(const std::vector<std::string_view>& lines) {
  std::vector<QuestionAnswer> faq;
  for (std::size_t index = 0; index + 1 < lines.size(); ++index) {
    const std::string_view question = AfterPrefix(lines[index], {"q:", "question:"});
    if (question.empty()) continue;
    const std::string_view answer = AfterPrefix(lines[index + 1], {"a:", "answer:"});
    if (answer.empty()) continue;
    faq.push_back({std::string(question), std::string(answer)});
    ++index;
  }
  return faq;
}

}  // namespace

namespace {

// The label or teaser `line` is, or kNone. Cheap: a short line compared with two short lists.
Furniture ClassifyShortFurniture(std::string_view line) {
  if (line.size() > kMaxLabelBytes) return Furniture::kNone;
  std::string_view label = line;
  if (label.ends_with(':')) label.remove_suffix(1);
  if (IsOneOf(label, kLabels) || IsCommentCount(line)) return Furniture::kLabel;
  if (IsOneOf(label, kTeasers)) return Furniture::kTeaser;
  return Furniture::kNone;
}

}  // namespace

Furniture ClassifyFurniture(std::string_view line) {
  if (const Furniture short_furniture = ClassifyShortFurniture(line);
      short_furniture != Furniture::kNone) {
    return short_furniture;
  }
  if (CountWords(line) > kMaxFurnitureWords) return Furniture::kNone;
  for (const std::string_view phrase : kPaywallPhrases) {
    if (ContainsNoCase(line, phrase)) return Furniture::kPaywall;
  }
  for (const std::string_view prefix : kTrailerPrefixes) {
    if (StartsWithNoCase(line, prefix)) return Furniture::kTrailer;
  }
  for (const std::string_view phrase : kTrailerPhrases) {
    if (ContainsNoCase(line, phrase)) return Furniture::kTrailer;
  }
  return Furniture::kNone;
}

std::string RemoveFurnitureLines(std::vector<std::string_view>& lines, Article& article) {
  std::size_t& boilerplate = article.stats.boilerplate_characters;
  // Pass 2: labels go wherever they stand. Only the label test runs on every line: the phrase
  // searches of ClassifyFurniture are for the few lines at the end (pass 3).
  std::erase_if(lines, [&boilerplate](std::string_view line) {
    if (ClassifyShortFurniture(line) != Furniture::kLabel) return false;
    boilerplate += CountCodePoints(line);
    return true;
  });

  // Pass 3: the run of end-of-page furniture.
  std::string heuristic_publisher;
  while (!lines.empty()) {
    const std::string_view line = lines.back();
    const Furniture furniture = ClassifyFurniture(line);
    if (furniture == Furniture::kNone) break;
    // A paragraph that only ends in a call to comment keeps its text; the cut is made below.
    if (furniture == Furniture::kTrailer) {
      const std::size_t keep = WithoutTrailingCallToAction(line);
      if (keep > 0 && keep < line.size() &&
          ClassifyFurniture(line.substr(0, keep)) == Furniture::kNone) {
        break;
      }
    }
    if (furniture == Furniture::kPaywall) article.flags.paywall = true;
    if (furniture == Furniture::kTeaser) article.flags.truncated = true;
    // Newsletter blocks ("Discover more from <site>") name the site that published the page.
    if (StartsWithNoCase(line, kDiscoverMoreFrom)) {
      heuristic_publisher.assign(TrimSpace(line.substr(kDiscoverMoreFrom.size())));
    }
    boilerplate += CountCodePoints(line);
    lines.pop_back();
  }
  if (!lines.empty()) {
    const std::size_t keep = WithoutTrailingCallToAction(lines.back());
    boilerplate += CountCodePoints(lines.back().substr(keep));
    lines.back() = lines.back().substr(0, keep);
    if (lines.back().empty()) lines.pop_back();
  }
  if (!lines.empty() && LastCodePoint(lines.back()) == 0x2026) article.flags.truncated = true;

  return heuristic_publisher;
}

std::vector<std::string_view> BodyLines(std::string_view body) {
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < body.size();) {
    std::size_t end = body.find('\n', at);
    if (end == std::string_view::npos) end = body.size();
    if (const std::string_view line = TrimSpace(body.substr(at, end - at)); !line.empty()) {
      lines.push_back(line);
    }
    at = end + 1;
  }
  return lines;
}

std::string JoinParagraphs(const std::vector<std::string_view>& paragraphs) {
  std::size_t size = 0;
  for (const std::string_view paragraph : paragraphs) size += paragraph.size() + 2;
  std::string joined;
  joined.reserve(size);
  for (const std::string_view paragraph : paragraphs) {
    if (!joined.empty()) joined.append("\n\n");
    joined.append(paragraph);
  }
  return joined;
}

void RemoveFurniture(std::string& body, Article& article) {
  std::vector<std::string_view> lines = BodyLines(body);
  RemoveFurnitureLines(lines, article);
  body = JoinParagraphs(lines);
}

std::vector<std::string_view> ParseBreadcrumb(std::string_view line) {
  constexpr std::size_t kMaxBreadcrumbBytes = 400;
  std::vector<std::string_view> segments;
  if (line.size() > kMaxBreadcrumbBytes) return segments;
  // " » " and " › " mark a trail (with the spaces: German and French quote with » and ›); ">"
  // and "/" also occur in titles, so a trail made of them needs three segments.
  struct Separator {
    std::string_view text;
    std::size_t min_segments;
  };
  for (const Separator separator : {Separator{" \xC2\xBB ", 2}, Separator{" \xE2\x80\xBA ", 2},
                                    Separator{" > ", 3}, Separator{" / ", 3}}) {
    if (line.find(separator.text) == std::string_view::npos) continue;
    segments.clear();
    std::size_t at = 0;
    while (true) {
      const std::size_t cut = line.find(separator.text, at);
      const std::string_view segment =
          TrimSpace(line.substr(at, cut == std::string_view::npos ? cut : cut - at));
      if (segment.empty() || CountWords(segment) > kMaxTitleWords) {
        segments.clear();
        break;
      }
      segments.push_back(segment);
      if (cut == std::string_view::npos) break;
      at = cut + separator.text.size();
    }
    if (segments.size() >= separator.min_segments) return segments;
    segments.clear();
  }
  return segments;
}

std::optional<std::vector<Person>> ParseByline(std::string_view line) {
  constexpr std::size_t kMaxBylineWords = 16;
  if (CountWords(line) > kMaxBylineWords || LastCodePoint(line) == '.') return std::nullopt;
  const std::string_view list =
      AfterPrefix(line, {"by ", "written by ", "posted by ", "words by "});
  if (list.empty()) return std::nullopt;
  return ParseBylineList(list);
}

Result<std::vector<Result<Article>>> DecodeText(const RawArticle& raw) {
  const std::string_view bytes = raw.bytes;
  if (bytes.empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput, "empty input: 0 bytes");
  }
  // Checked before UTF-8 validity: a NUL says "this is not text at all", which is the more
  // useful message for an image or a UTF-16 file than the first bad UTF-8 byte.
  if (const std::size_t nul_offset = bytes.find('\0'); nul_offset != std::string_view::npos) {
    return tl::unexpected<Error>(BinaryDataError(bytes, nul_offset));
  }
  if (const auto problem = FindInvalidUtf8(bytes)) {
    return MakeError(Stage::kDecode, ErrorCode::kInvalidUtf8,
                     fmt::format("invalid UTF-8 at byte {} ({}); newswire reads UTF-8 text, "
                                 "convert the input first (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
                                 problem->byte_offset, problem->reason));
  }

  std::string_view text = bytes;
  if (text.starts_with(kUtf8ByteOrderMark)) text.remove_prefix(kUtf8ByteOrderMark.size());

  Article article;
  article.origin = raw.origin;
  article.format = "text";
  article.stats.input_bytes = bytes.size();
  std::size_t& boilerplate = article.stats.boilerplate_characters;

  // Pass 1: trimmed non-blank lines, with JSON-LD blocks taken out and parsed.
  std::vector<std::string_view> lines;
  JsonLdInfo json_ld;
  std::size_t json_search_from = 0;  // a failed scan covered everything before this
  std::size_t byte_index = 0;
  while (byte_index < text.size()) {
    const std::string_view line = TrimSpace(NextLine(text, byte_index));
    if (line.empty()) continue;
    const auto line_offset = static_cast<std::size_t>(line.data() - text.data());
    if ((line.front() == '{' || line.front() == '[') && line_offset >= json_search_from) {
      const std::string_view window = text.substr(line_offset, kMaxJsonLdBytes);
      const auto block_end = FindJsonValueEnd(window);
      if (!block_end) {
        json_search_from = line_offset + window.size();
      } else {
        const std::string_view block = window.substr(0, *block_end);
        std::size_t after_block = line_offset + *block_end;
        const std::string_view rest = TrimSpace(NextLine(text, after_block));
        if (rest.empty() && LooksLikeJsonLd(block)) {
          // Raw JSON is never article text: it leaves the body even when it does not parse.
          if (auto parsed = ParseJsonLd(block)) MergeJsonLd(json_ld, std::move(*parsed));
          boilerplate += CountCodePoints(block);
          byte_index = after_block;
          continue;
        }
      }
    }
    lines.push_back(line);
  }
  // Passes 2 and 3: labels, and the run of end-of-page furniture.
  std::string heuristic_publisher = RemoveFurnitureLines(lines, article);

  // Pass 4: the head. `first_body` moves past each head line that is taken.
  std::size_t first_body = 0;
  std::vector<std::string_view> breadcrumb;
  if (!lines.empty()) breadcrumb = ParseBreadcrumb(lines[0]);
  if (!breadcrumb.empty()) {
    boilerplate += CountCodePoints(lines[0]);
    ++first_body;
  }
  if (first_body < lines.size() && IsTitleLike(lines[first_body])) {
    article.title.assign(lines[first_body]);
    article.provenance["title"] = "text";
    ++first_body;
  }
  std::vector<Person> byline_people;
  for (std::size_t index = first_body;
       index < lines.size() && index < first_body + kHeadLines && !IsProse(lines[index]); ++index) {
    if (auto people = ParseByline(lines[index])) {
      byline_people = std::move(*people);
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(index));
      break;
    }
  }
  // A heading right before the first paragraph is the subtitle, unless it is the only text.
  if (!article.title.empty() && first_body + 1 < lines.size() &&
      IsHeadingLike(lines[first_body], kMaxHeadingWords) && IsProse(lines[first_body + 1])) {
    article.subtitle.assign(lines[first_body]);
    article.provenance["subtitle"] = "heuristic";
    ++first_body;
  }
  if (!breadcrumb.empty()) {
    const bool starts_at_home =
        EqualsNoCase(breadcrumb.front(), "home") || EqualsNoCase(breadcrumb.front(), "homepage");
    const bool ends_at_this_page = EqualsIgnoringAsciiCase(breadcrumb.back(), article.title);
    const auto begin = breadcrumb.begin() + (starts_at_home ? 1 : 0);
    const auto end = breadcrumb.end() - (ends_at_this_page ? 1 : 0);
    for (auto segment = begin; segment < end; ++segment) article.sections.emplace_back(*segment);
    if (!article.sections.empty()) article.provenance["sections"] = "heuristic";
  }

  // JSON-LD is what the publisher declares, so it beats what line rules guess.
  if (!json_ld.headline.empty() && json_ld.headline != article.title) {
    if (!article.title.empty()) article.metadata["page_title"] = std::move(article.title);
    article.title = std::move(json_ld.headline);
    article.provenance["title"] = "json-ld";
    if (article.subtitle == article.title) {
      article.subtitle.clear();
      article.provenance.erase("subtitle");
    }
    // The headline repeated as the first line of the body is the title, not a paragraph.
    if (first_body < lines.size() && lines[first_body] == article.title) ++first_body;
  }
  if (!json_ld.authors.empty()) {
    article.authors = std::move(json_ld.authors);
    article.provenance["authors"] = "json-ld";
  } else if (!byline_people.empty()) {
    article.authors = std::move(byline_people);
    article.provenance["authors"] = "byline";
  }
  if (!json_ld.publisher.empty()) {
    article.publisher = std::move(json_ld.publisher);
    article.provenance["publisher"] = "json-ld";
  } else if (!heuristic_publisher.empty()) {
    article.publisher = std::move(heuristic_publisher);
    article.provenance["publisher"] = "heuristic";
  }
  if (!json_ld.published_time.empty()) {
    article.published_time = std::move(json_ld.published_time);
    article.provenance["published_time"] = "json-ld";
  }
  if (!json_ld.modified_time.empty()) {
    article.modified_time = std::move(json_ld.modified_time);
    article.provenance["modified_time"] = "json-ld";
  }
  if (!json_ld.description.empty()) {
    article.metadata["description"] = std::move(json_ld.description);
    article.provenance["description"] = "json-ld";
  }

  const std::vector<std::string_view> body_lines(
      lines.begin() + static_cast<std::ptrdiff_t>(std::min(first_body, lines.size())), lines.end());
  if (!json_ld.faq.empty()) {
    article.faq = std::move(json_ld.faq);
    article.provenance["faq"] = "json-ld";
  } else if (auto text_faq = FindTextFaq(body_lines); !text_faq.empty()) {
    article.faq = std::move(text_faq);
    article.provenance["faq"] = "heuristic";
  }
  article.flags.faq = !article.faq.empty();

  std::size_t body_bytes = 0;
  for (const std::string_view line : body_lines) body_bytes += line.size() + 2;
  article.body.reserve(body_bytes);
  for (const std::string_view line : body_lines) {
    if (!article.body.empty()) article.body.append("\n\n");
    article.body.append(line);
  }
  if (article.title.empty() && article.body.empty() && boilerplate == 0) {
    return MakeError(
        Stage::kDecode, ErrorCode::kEmptyInput,
        fmt::format("no text: all {} bytes are whitespace or line breaks", bytes.size()));
  }

  std::vector<Result<Article>> articles;
  articles.emplace_back(std::move(article));
  return articles;
}

}  // namespace newswire::pipeline
