#include "daemon/pipeline/classify/duplicate_window.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace newswire::pipeline {
namespace {

// The block method finds every pair within distance 3 with four blocks; beyond that it would
// miss some, so the limit is part of the index's design.
constexpr int kMaxIndexedDistance = 3;
constexpr std::size_t kBlockValues = std::size_t{1} << 16;

std::uint16_t Block(std::uint64_t simhash, int block) {
  return static_cast<std::uint16_t>(simhash >> (16 * block));
}

bool ParseHex64(const char* begin, std::uint64_t& value) {
  const auto [end, error] = std::from_chars(begin, begin + 16, value, 16);
  return error == std::errc{} && end == begin + 16;
}

}  // namespace

DuplicateWindow::ContentKey DuplicateWindow::KeyOf(const std::string& content_hash) {
  ContentKey key;
  if (content_hash.size() == 32 && ParseHex64(content_hash.data(), key.high) &&
      ParseHex64(content_hash.data() + 16, key.low)) {
    return key;
  }
  const XXH128_hash_t hash = XXH3_128bits(content_hash.data(), content_hash.size());
  return ContentKey{hash.high64, hash.low64};
}

DuplicateWindow::DuplicateWindow(std::size_t max_articles, std::int64_t max_age_ms,
                                 int max_distance)
    : max_articles_(std::max<std::size_t>(max_articles, 1)),
      max_age_ms_(max_age_ms),
      max_distance_(std::clamp(max_distance, 0, kMaxIndexedDistance)) {
  for (auto& newest : newest_by_block_) newest.assign(kBlockValues, kNone);
}

const DuplicateWindow::Entry* DuplicateWindow::EntryOf(std::uint64_t sequence) const {
  if (sequence == kNone || sequence < front_sequence_) return nullptr;
  const std::uint64_t index = sequence - front_sequence_;
  return index < articles_.size() ? &articles_[index] : nullptr;
}

std::optional<DuplicateMatch> DuplicateWindow::Find(const RememberedArticle& article,
                                                    std::int64_t now_ms) const {
  const std::int64_t oldest_ms = now_ms - max_age_ms_;
  std::optional<DuplicateMatch> best;
  std::uint64_t best_sequence = 0;
  auto consider = [&](std::uint64_t sequence, const Entry& entry, int distance) {
    if (entry.id == article.id || entry.time_ms < oldest_ms) return;
    if (!best || distance < best->distance ||
        (distance == best->distance && sequence < best_sequence)) {
      best = DuplicateMatch{entry.id, distance};
      best_sequence = sequence;
    }
  };
  const ContentKey content = KeyOf(article.content_hash);
  if (const auto newest = newest_by_content_.find(content); newest != newest_by_content_.end()) {
    for (std::uint64_t sequence = newest->second; const Entry* entry = EntryOf(sequence);
         sequence = entry->older_same_content) {
      consider(sequence, *entry, 0);
    }
  }
  // Even after an exact copy: an earlier article with the same SimHash (distance 0 too) wins.
  if (article.simhash == 0) return best;
  for (int block = 0; block < kBlocks; ++block) {
    for (std::uint64_t sequence = newest_by_block_[block][Block(article.simhash, block)];
         const Entry* entry = EntryOf(sequence); sequence = entry->older_same_block[block]) {
      const int distance = SimHashDistance(entry->simhash, article.simhash);
      if (distance <= max_distance_) consider(sequence, *entry, distance);
    }
  }
  return best;
}

void DuplicateWindow::Add(RememberedArticle article) {
  const std::uint64_t sequence = front_sequence_ + articles_.size();
  Entry entry;
  entry.id = std::move(article.id);
  entry.content = KeyOf(article.content_hash);
  entry.simhash = article.simhash;
  entry.time_ms = article.time_ms;
  auto [newest, inserted] = newest_by_content_.try_emplace(entry.content, sequence);
  if (!inserted) {
    entry.older_same_content = newest->second;
    newest->second = sequence;
  }
  // A body without words (simhash 0) only ever matches exactly.
  if (entry.simhash != 0) {
    for (int block = 0; block < kBlocks; ++block) {
      std::uint64_t& newest_in_block = newest_by_block_[block][Block(entry.simhash, block)];
      entry.older_same_block[block] = newest_in_block;
      newest_in_block = sequence;
    }
  }
  const std::int64_t time_ms = entry.time_ms;
  articles_.push_back(std::move(entry));
  while (articles_.size() > max_articles_ ||
         (!articles_.empty() && articles_.front().time_ms < time_ms - max_age_ms_)) {
    EvictOldest();
  }
}

void DuplicateWindow::EvictOldest() {
  const Entry& oldest = articles_.front();
  // The chains need nothing: a link to an evicted sequence ends them. An index entry goes only
  // when it points at the evicted article, i.e. nothing newer shares the key.
  if (const auto newest = newest_by_content_.find(oldest.content);
      newest != newest_by_content_.end() && newest->second == front_sequence_) {
    newest_by_content_.erase(newest);
  }
  if (oldest.simhash != 0) {
    for (int block = 0; block < kBlocks; ++block) {
      std::uint64_t& newest_in_block = newest_by_block_[block][Block(oldest.simhash, block)];
      if (newest_in_block == front_sequence_) newest_in_block = kNone;
    }
  }
  articles_.pop_front();
  ++front_sequence_;
}

}  // namespace newswire::pipeline
