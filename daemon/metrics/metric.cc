#include "daemon/metrics/metric.h"

#include <stdexcept>
#include <string>

namespace newswire::metrics {

Histogram::Histogram(std::span<const double> upper_bounds)
    : upper_bounds_(upper_bounds), bucket_counts_(upper_bounds.size() + 1) {}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.cumulative_counts.reserve(upper_bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> ExponentialBuckets(double start, double factor, std::size_t count) {
  if (!(start > 0.0) || !(factor > 1.0) || count == 0 || !std::isfinite(start) ||
      !std::isfinite(factor)) {
    throw std::invalid_argument("ExponentialBuckets needs start > 0, factor > 1 and count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  double bound = start;
  for (std::size_t i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  ValidateBucketUpperBounds(bounds);  // catches an overflow to +Inf
  return bounds;
}

std::vector<double> DefaultLatencyBucketsSeconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void ValidateBucketUpperBounds(std::span<const double> upper_bounds) {
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i])) {
      throw std::invalid_argument("histogram bucket upper bound " + std::to_string(i) +
                                  " is not finite");
    }
    if (i > 0 && !(upper_bounds[i - 1] < upper_bounds[i])) {
      throw std::invalid_argument("histogram bucket upper bounds must be strictly increasing (" +
                                  std::to_string(i) + " is not above the one before)");
    }
  }
}

}  // namespace newswire::metrics
