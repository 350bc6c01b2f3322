#include "daemon/pipeline/classify/duplicate_window.h"

#include <algorithm>
#include <utility>

namespace newswire::pipeline {
namespace {

// The block method finds every pair within distance 3 with four blocks; beyond that it would
// miss some, so the limit is part of the index's design.
constexpr int kMaxIndexedDistance = 3;

std::uint16_t Block(std::uint64_t simhash, int block) {
  return static_cast<std::uint16_t>(simhash >> (16 * block));
}

// Removes the one (key, sequence) pair from a multimap.
template <typename Map, typename Key>
void Erase(Map& map, const Key& key, std::uint64_t sequence) {
  auto [begin, end] = map.equal_range(key);
  for (auto it = begin; it != end; ++it) {
    if (it->second == sequence) {
      map.erase(it);
      return;
    }
  }
}

}  // namespace

DuplicateWindow::DuplicateWindow(std::size_t max_articles, std::int64_t max_age_ms,
                                 int max_distance)
    : max_articles_(std::max<std::size_t>(max_articles, 1)),
      max_age_ms_(max_age_ms),
      max_distance_(std::clamp(max_distance, 0, kMaxIndexedDistance)) {}

const DuplicateWindow::Entry* DuplicateWindow::EntryOf(std::uint64_t sequence) const {
  if (articles_.empty() || sequence < articles_.front().sequence) return nullptr;
  const std::uint64_t index = sequence - articles_.front().sequence;
  return index < articles_.size() ? &articles_[index] : nullptr;
}

std::optional<DuplicateMatch> DuplicateWindow::Find(const RememberedArticle& article,
                                                    std::int64_t now_ms) const {
  const std::int64_t oldest_ms = now_ms - max_age_ms_;
  std::optional<DuplicateMatch> best;
  std::uint64_t best_sequence = 0;
  auto consider = [&](std::uint64_t sequence, int distance) {
    const Entry* entry = EntryOf(sequence);
    if (entry == nullptr || entry->article.id == article.id || entry->article.time_ms < oldest_ms) {
      return;
    }
    if (!best || distance < best->distance ||
        (distance == best->distance && sequence < best_sequence)) {
      best = DuplicateMatch{entry->article.id, distance};
      best_sequence = sequence;
    }
  };
  auto [same_begin, same_end] = by_content_hash_.equal_range(article.content_hash);
  for (auto it = same_begin; it != same_end; ++it) consider(it->second, 0);
  if (article.simhash == 0 || (best && best->distance == 0)) return best;
  for (int block = 0; block < kBlocks; ++block) {
    auto [begin, end] = by_block_[block].equal_range(Block(article.simhash, block));
    for (auto it = begin; it != end; ++it) {
      const Entry* entry = EntryOf(it->second);
      if (entry == nullptr) continue;
      const int distance = SimHashDistance(entry->article.simhash, article.simhash);
      if (distance <= max_distance_) consider(it->second, distance);
    }
  }
  return best;
}

void DuplicateWindow::Add(RememberedArticle article) {
  const std::uint64_t sequence = next_sequence_++;
  by_content_hash_.emplace(article.content_hash, sequence);
  // A body without words (simhash 0) only ever matches exactly.
  if (article.simhash != 0) {
    for (int block = 0; block < kBlocks; ++block) {
      by_block_[block].emplace(Block(article.simhash, block), sequence);
    }
  }
  const std::int64_t time_ms = article.time_ms;
  articles_.push_back({std::move(article), sequence});
  while (articles_.size() > max_articles_ ||
         (!articles_.empty() && articles_.front().article.time_ms < time_ms - max_age_ms_)) {
    EvictOldest();
  }
}

void DuplicateWindow::EvictOldest() {
  const Entry& oldest = articles_.front();
  Erase(by_content_hash_, oldest.article.content_hash, oldest.sequence);
  if (oldest.article.simhash != 0) {
    for (int block = 0; block < kBlocks; ++block) {
      Erase(by_block_[block], Block(oldest.article.simhash, block), oldest.sequence);
    }
  }
  articles_.pop_front();
}

}  // namespace newswire::pipeline
