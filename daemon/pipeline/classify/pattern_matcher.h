#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/error.h"
#include "daemon/pipeline/classify/folding.h"

namespace newswire::pipeline {

// Many patterns matched in one pass over a folded text (folding.h) by one Vectorscan database:
// the shared engine of topic rules and gazetteers. A pattern as written is
// - a term or phrase, folded like the text and matched as whole words ("oil" is not in "spoil");
// - a prefix ending in '*' ("diplomat*" matches "diplomats"; the right word boundary is dropped);
// - "re:" and a Vectorscan regular expression over the folded text, without implied boundaries.
// Immutable once built; Scan is thread-safe (each thread keeps its own Vectorscan scratch).
class PatternMatcher {
 public:
  // One match, as byte offsets into the folded text (OriginalRange maps them back).
  struct Hit {
    std::uint32_t pattern = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
  };

  // Collects patterns; the same pattern added twice gets the same id.
  class Builder {
   public:
    // The pattern's id (0, 1, ... in order of first addition), or nullopt when it is empty once
    // folded. `location` ("file:line:col") names it if Vectorscan refuses it.
    std::optional<std::uint32_t> Add(std::string_view pattern, std::string_view location);
    std::size_t size() const { return expressions_.size(); }
    // Fails (stage config) as "location: Vectorscan refuses the pattern: ..." for a bad regular
    // expression, or when there are no patterns.
    Result<std::shared_ptr<const PatternMatcher>> Build() const;

   private:
    struct Expression {
      std::string text;
      bool left_boundary = true;
      bool right_boundary = true;
      std::size_t literal_bytes = 0;  // folded length of a term; 0 for a regular expression
      auto operator<=>(const Expression&) const = default;
    };
    std::map<Expression, std::uint32_t> ids_;
    std::vector<Expression> expressions_;
    std::vector<std::string> locations_;
  };

  ~PatternMatcher();
  PatternMatcher(const PatternMatcher&) = delete;
  PatternMatcher& operator=(const PatternMatcher&) = delete;

  // Appends every match in `folded.text` to `hits`, in the order Vectorscan reports them (by end
  // offset). Fails (stage classify) only if Vectorscan does.
  Result<void> Scan(const FoldedText& folded, std::vector<Hit>& hits) const;

  std::size_t pattern_count() const { return boundaries_.size(); }

  // Whether a pattern's match must start and end at word boundaries.
  struct Boundaries {
    bool left = true;
    bool right = true;
    // A term's matches are this long, so its start is end - literal_bytes and Vectorscan need
    // not track start offsets (HS_FLAG_SOM_LEFTMOST is slow with many patterns); 0 for a
    // regular expression, whose start Vectorscan reports.
    std::size_t literal_bytes = 0;
  };

 private:
  struct Database;

  PatternMatcher(std::unique_ptr<Database> database, std::vector<Boundaries> boundaries);

  std::unique_ptr<Database> database_;
  std::vector<Boundaries> boundaries_;  // by pattern id
};

}  // namespace newswire::pipeline
