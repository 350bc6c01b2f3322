#pragma once

#include <cstdint>
#include <map>

namespace newswire::sources {

// Which offset of one partition may be stored. Records are handed out in offset order and
// finish in any order (workers run in parallel; a retried record finishes late); the offset to
// store is the one after the longest run of finished records from the oldest handed out, so a
// restart never skips a record that is not done. Plain value, owned by KafkaSource (io thread).
class PartitionProgress {
 public:
  void HandOut(std::int64_t offset) { pending_.emplace(offset, false); }

  // Marks a handed-out offset finished (acknowledged or dead-lettered); an offset that was not
  // handed out is ignored.
  void Finish(std::int64_t offset) {
    const auto found = pending_.find(offset);
    if (found == pending_.end()) return;
    found->second = true;
    while (!pending_.empty() && pending_.begin()->second) {
      next_offset_to_store_ = pending_.begin()->first + 1;
      pending_.erase(pending_.begin());
    }
  }

  // The offset to store (the next one to consume), or -1 when nothing finished yet.
  std::int64_t next_offset_to_store() const { return next_offset_to_store_; }
  // Whether next_offset_to_store moved since the last MarkStored.
  bool has_unstored_progress() const { return next_offset_to_store_ > stored_offset_; }
  void MarkStored() { stored_offset_ = next_offset_to_store_; }
  // Handed out and not finished, plus finished ones waiting for an earlier one.
  std::size_t pending() const { return pending_.size(); }
  // The smallest offset handed out and not finished (finished ones never lead the map: Finish
  // drops them), or -1 when none is.
  std::int64_t first_pending_offset() const {
    return pending_.empty() ? -1 : pending_.begin()->first;
  }

 private:
  std::map<std::int64_t, bool> pending_;  // offset -> finished
  std::int64_t next_offset_to_store_ = -1;
  std::int64_t stored_offset_ = -1;
};

}  // namespace newswire::sources
