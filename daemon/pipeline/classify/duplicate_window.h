#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace newswire::pipeline {

// What the duplicate window keeps of one article.
struct RememberedArticle {
  std::string id;            // the article id (32 hex digits)
  std::string content_hash;  // XXH3-128 of the body (32 hex digits)
  std::uint64_t simhash = 0;
  std::int64_t time_ms = 0;  // when it was processed, Unix milliseconds
};

// An earlier article that `Find` judged the same text: an exact copy of the body (distance 0 and
// the same content hash) or a near-duplicate (SimHash Hamming distance up to the limit).
struct DuplicateMatch {
  std::string id;
  int distance = 0;  // Hamming distance of the SimHashes; 0 for an exact copy
};

// Hamming distance of two SimHashes.
inline int SimHashDistance(std::uint64_t left, std::uint64_t right) {
  return std::popcount(left ^ right);
}

// The recent articles, bounded by count and age, indexed for exact and near-duplicate lookup.
// Near-duplicates use the block method of Manku, Jain and Das Sarma (WWW 2007): the 64 bits are
// cut into four 16-bit blocks, and two hashes within distance 3 agree exactly on at least one
// block, so only articles sharing a block with the query are compared. Pure and not
// thread-safe: its owner (the article store) serializes access.
class DuplicateWindow {
 public:
  // `max_distance` up to 3 keeps the block method exact; more is refused (clamped to 3).
  DuplicateWindow(std::size_t max_articles, std::int64_t max_age_ms, int max_distance);

  // The earliest remembered article, other than `article.id` itself (a repeat or a new version
  // of one article is not its own duplicate), whose body is the same (distance 0) or whose
  // SimHash is within max_distance; the closest wins, then the earliest. Articles older than
  // max_age_ms before `now_ms` are not considered. A body without words (simhash 0) only matches
  // exactly.
  std::optional<DuplicateMatch> Find(const RememberedArticle& article, std::int64_t now_ms) const;

  // Adds the article (in arrival order) and forgets the oldest beyond max_articles or older
  // than max_age_ms before its time.
  void Add(RememberedArticle article);

  std::size_t size() const { return articles_.size(); }

 private:
  static constexpr int kBlocks = 4;
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};

  // The content hash as 16 bytes: the 32 hex digits the pipeline makes, parsed; anything else
  // (tests, records of another format) hashed to 128 bits.
  struct ContentKey {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    bool operator==(const ContentKey&) const = default;
  };
  struct ContentKeyHash {
    std::size_t operator()(const ContentKey& key) const { return key.low ^ (key.high * 31); }
  };
  static ContentKey KeyOf(const std::string& content_hash);

  // Memory matters here: a window holds 100,000 articles by default. Instead of a node per
  // article in a multimap per index, each entry links to the next older entry with the same
  // content key and with the same value in each SimHash block; an index holds only the newest
  // sequence per key. Links to evicted entries (sequence before the oldest) end a chain, so
  // eviction only drops the front and the content key when nothing newer shares it.
  struct Entry {
    std::string id;
    ContentKey content;
    std::uint64_t simhash = 0;
    std::int64_t time_ms = 0;
    std::uint64_t older_same_content = kNone;
    std::array<std::uint64_t, kBlocks> older_same_block{kNone, kNone, kNone, kNone};
  };

  void EvictOldest();
  const Entry* EntryOf(std::uint64_t sequence) const;

  std::size_t max_articles_;
  std::int64_t max_age_ms_;
  int max_distance_;
  std::deque<Entry> articles_;        // oldest first; sequence numbers are consecutive
  std::uint64_t front_sequence_ = 0;  // the sequence of articles_.front()
  std::unordered_map<ContentKey, std::uint64_t, ContentKeyHash> newest_by_content_;
  // Per block, the newest sequence per 16-bit value (kNone when none): 65,536 entries each.
  std::array<std::vector<std::uint64_t>, kBlocks> newest_by_block_;
};

}  // namespace newswire::pipeline
