#include "daemon/pipeline/classify/pattern_matcher.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <utility>

namespace newswire::pipeline {
namespace {

constexpr std::string_view kRegexPrefix = "re:";

bool IsAsciiAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Bytes of a word: ASCII letters and digits, and every byte of a non-ASCII code point (after
// folding, what is left outside ASCII is letters of other scripts).
bool IsWordByte(char c) {
  return IsAsciiAlphanumeric(c) || (static_cast<unsigned char>(c) & 0x80) != 0;
}

// A folded term as a Vectorscan expression that matches it literally.
std::string EscapeLiteral(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size() * 2);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80 && !IsAsciiAlphanumeric(c)) {
      if (byte < 0x20 || byte == 0x7F) {
        escaped += fmt::format("\\x{:02x}", byte);
        continue;
      }
      escaped.push_back('\\');
    }
    escaped.push_back(c);
  }
  return escaped;
}

std::atomic<std::uint64_t> next_generation{1};

// Per thread: Vectorscan scratch, grown for each database it is used with (hs_alloc_scratch
// keeps one scratch large enough for all of them). The generations it has been grown for are
// remembered, as hs_alloc_scratch costs far more than a scan of an article: the topic rules
// and the entity recognizer alternate on every article.
struct ThreadScratch {
  static constexpr std::size_t kMaxRememberedDatabases = 16;
  hs_scratch_t* scratch = nullptr;
  std::vector<std::uint64_t> generations;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

}  // namespace

struct PatternMatcher::Database {
  hs_database_t* database = nullptr;
  // Identifies this database to the per-thread scratch; unlike an address, never reused.
  std::uint64_t generation = next_generation.fetch_add(1);
  ~Database() {
    if (database != nullptr) hs_free_database(database);
  }
};

std::optional<std::uint32_t> PatternMatcher::Builder::Add(std::string_view pattern,
                                                          std::string_view location) {
  Expression expression;
  if (pattern.starts_with(kRegexPrefix)) {
    expression = {std::string(pattern.substr(kRegexPrefix.size())), false, false};
    if (expression.text.empty()) return std::nullopt;
  } else {
    if (pattern.ends_with('*')) {
      pattern.remove_suffix(1);
      expression.right_boundary = false;
    }
    const FoldedText folded = Fold(pattern);
    std::string_view text = folded.text;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    expression.text = EscapeLiteral(text);
    expression.literal_bytes = text.size();
  }
  const auto [found, inserted] =
      ids_.emplace(expression, static_cast<std::uint32_t>(expressions_.size()));
  if (inserted) {
    expressions_.push_back(std::move(expression));
    locations_.emplace_back(location);
  }
  return found->second;
}

Result<std::shared_ptr<const PatternMatcher>> PatternMatcher::Builder::Build() const {
  if (expressions_.empty()) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument, "no patterns to match");
  }
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  std::vector<Boundaries> boundaries;
  for (std::size_t index = 0; index < expressions_.size(); ++index) {
    expressions.push_back(expressions_[index].text.c_str());
    // Leftmost start offsets of regular expressions, for evidence (a term's start follows from
    // its length); UTF-8 so that a regular expression's '.' is a code point.
    const Expression& expression = expressions_[index];
    flags.push_back(expression.literal_bytes > 0 ? HS_FLAG_UTF8
                                                 : HS_FLAG_SOM_LEFTMOST | HS_FLAG_UTF8);
    ids.push_back(static_cast<unsigned>(index));
    boundaries.push_back(
        {expression.left_boundary, expression.right_boundary, expression.literal_bytes});
  }
  auto database = std::make_unique<Database>();
  hs_compile_error_t* compile_error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr,
                       &database->database, &compile_error) != HS_SUCCESS) {
    const int index = compile_error != nullptr ? compile_error->expression : -1;
    const std::string message = compile_error != nullptr && compile_error->message != nullptr
                                    ? compile_error->message
                                    : "unknown error";
    hs_free_compile_error(compile_error);
    if (index >= 0 && static_cast<std::size_t>(index) < locations_.size()) {
      return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                       fmt::format("{}: Vectorscan refuses the pattern: {}",
                                   locations_[static_cast<std::size_t>(index)], message));
    }
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     fmt::format("the patterns do not compile: {}", message));
  }
  return std::shared_ptr<const PatternMatcher>(
      new PatternMatcher(std::move(database), std::move(boundaries)));
}

PatternMatcher::PatternMatcher(std::unique_ptr<Database> database,
                               std::vector<Boundaries> boundaries)
    : database_(std::move(database)), boundaries_(std::move(boundaries)) {}

PatternMatcher::~PatternMatcher() = default;

namespace {

struct ScanContext {
  const std::string* text;
  const std::vector<PatternMatcher::Boundaries>* boundaries;
  std::vector<PatternMatcher::Hit>* hits;
};

// Vectorscan's callback: keeps a match that respects its pattern's word boundaries.
int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int,
            void* context_pointer) {
  const auto& context = *static_cast<ScanContext*>(context_pointer);
  const std::string& text = *context.text;
  const PatternMatcher::Boundaries& pattern = (*context.boundaries)[id];
  if (pattern.literal_bytes > 0) from = to - pattern.literal_bytes;
  if (pattern.left && from > 0 && IsWordByte(text[from - 1])) return 0;
  if (pattern.right && to < text.size() && IsWordByte(text[to])) return 0;
  context.hits->push_back({id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;  // go on
}

}  // namespace

Result<void> PatternMatcher::Scan(const FoldedText& folded, std::vector<Hit>& hits) const {
  thread_local ThreadScratch scratch;
  const std::uint64_t generation = database_->generation;
  if (std::find(scratch.generations.begin(), scratch.generations.end(), generation) ==
      scratch.generations.end()) {
    if (hs_alloc_scratch(database_->database, &scratch.scratch) != HS_SUCCESS) {
      return MakeError(Stage::kClassify, ErrorCode::kInternal,
                       "Vectorscan could not allocate its scratch space");
    }
    // Databases come and go with reloads; forgetting all is safe, it only costs a check.
    if (scratch.generations.size() >= ThreadScratch::kMaxRememberedDatabases) {
      scratch.generations.clear();
    }
    scratch.generations.push_back(generation);
  }
  ScanContext context{&folded.text, &boundaries_, &hits};
  const hs_error_t status =
      hs_scan(database_->database, folded.text.data(),
              static_cast<unsigned int>(folded.text.size()), 0, scratch.scratch, OnMatch, &context);
  if (status != HS_SUCCESS) {
    return MakeError(Stage::kClassify, ErrorCode::kInternal,
                     fmt::format("Vectorscan scan failed with code {}", status));
  }
  return {};
}

}  // namespace newswire::pipeline
