#include "daemon/sources/in_flight_budget.h"

#include <utility>
#include <vector>

namespace newswire::sources {

InFlightBudget::InFlightBudget(std::int64_t max_files, std::int64_t max_bytes)
    : max_files_(max_files), max_bytes_(max_bytes) {}

bool InFlightBudget::TryAcquire(std::int64_t bytes) {
  if (closed_ || files_ >= max_files_) return false;
  if (files_ > 0 && bytes_ + bytes > max_bytes_) return false;
  ++files_;
  bytes_ += bytes;
  return true;
}

void InFlightBudget::Release(std::int64_t bytes) {
  --files_;
  bytes_ -= bytes;
  // Copy: a listener may register another listener.
  auto listeners = listeners_;
  for (const auto& [id, listener] : listeners) listener();
}

InFlightBudget::ListenerId InFlightBudget::OnRelease(std::function<void()> listener) {
  listeners_.emplace_back(next_listener_id_, std::move(listener));
  return next_listener_id_++;
}

void InFlightBudget::RemoveListener(ListenerId id) {
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace newswire::sources
