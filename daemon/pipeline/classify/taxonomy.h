#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/core/error.h"

namespace newswire::pipeline {

// One concept of the IPTC Media Topics taxonomy, as a line of config/taxonomy/iptc-mediatopics.tsv.
struct MediaTopic {
  std::string code;      // "medtop:20000639"
  std::string label;     // "diplomacy" (en-GB preferred label)
  std::string parent;    // the broader concept's code; "" for a top-level topic
  bool retired = false;  // kept because old events may still carry retired codes
  std::string wikidata;  // "Q1889", or "" when IPTC gives no Wikidata match
};

// The IPTC Media Topics tree, loaded once at start-up from the text of
// config/taxonomy/iptc-mediatopics.tsv (the daemon reads the file; this class does no I/O) and
// then only read, so any number of classify threads may share one instance without locking.
class Taxonomy {
 public:
  // An empty taxonomy: every lookup finds nothing.
  Taxonomy() = default;

  // Parses the TSV: UTF-8, '#' starts a comment line, blank lines and CRLF endings are accepted,
  // and every other line is five tab-separated columns: code, parent, retired ("retired" or
  // empty), label, wikidata ("Q..." or empty). All problems are reported together, one line each
  // as "file_name:line:column: message" (column counted in bytes from 1, pointing at the first
  // byte of the bad column), in a kConfig/kInvalidArgument error.
  static Result<Taxonomy> Parse(std::string_view tsv, std::string_view file_name);

  // The concept for "medtop:20000639" or the bare "20000639"; nullptr when unknown. Allocates
  // nothing, because it runs for every tag of every article.
  const MediaTopic* Find(std::string_view code) const;

  // Codes of the ancestors, nearest parent first; empty for a top-level or unknown code.
  std::vector<std::string> Ancestors(std::string_view code) const;

  // The top-level ancestor's code (the code itself when top-level); "" when unknown.
  std::string TopLevel(std::string_view code) const;

  std::size_t size() const { return topics_.size(); }

 private:
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  // Index into topics_ of the code ("medtop:" optional), or kNoIndex when unknown.
  std::size_t IndexOf(std::string_view code) const;

  std::vector<MediaTopic> topics_;
  // parent_index_[i] is the index of topics_[i]'s parent, or kNoIndex for a top-level topic.
  std::vector<std::size_t> parent_index_;
  // Keyed by the code's eight digits read as a number: codes have a fixed width, so the number
  // identifies the code, and lookups hash an integer instead of building a string.
  std::unordered_map<std::uint32_t, std::size_t> index_by_number_;
};

}  // namespace newswire::pipeline
