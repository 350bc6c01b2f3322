#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace newswire::metrics {

// The metric types of the Prometheus text format that this library renders.
enum class MetricType { kCounter, kGauge, kHistogram };

// Each metric starts on its own cache line, so that two hot metrics updated by different workers
// (say, the counters of two topics) do not invalidate each other's line on every update.
inline constexpr std::size_t kCacheLineBytes = 64;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<double>::is_always_lock_free);

// A monotonic count (articles published, bytes read). Owned by its family in a Registry, which
// never moves or destroys it while the registry lives, so callers cache the reference. Any thread
// may update it: updates are one relaxed atomic add, no lock.
class alignas(kCacheLineBytes) Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment() { Add(1); }
  void Add(std::uint64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }

  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (in-flight bytes, open files). Same ownership and threading as
// Counter; Add is a compare-and-swap loop on the double, which only spins while another thread
// updates the same gauge.
class alignas(kCacheLineBytes) Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  // delta may be negative.
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }

  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// What a Histogram holds at one moment. cumulative_counts[i] counts the observations <= the i-th
// upper bound; the last entry is the +Inf bucket and equals count.
struct HistogramSnapshot {
  std::vector<std::uint64_t> cumulative_counts;
  double sum = 0.0;
  std::uint64_t count = 0;
};

// A distribution over fixed buckets (latencies, sizes). Created by its family, which owns the
// upper bounds (strictly increasing, finite; +Inf is implicit) and the histogram itself; same
// threading as Counter. Observe is a binary search over the bounds, one relaxed add on the
// bucket's count and a compare-and-swap loop on the sum.
//
// There is no separate count: it is the sum of the bucket counts, so a rendering always shows
// _count equal to the +Inf bucket. _sum may be one or two observations ahead of or behind the
// counts when a rendering races with Observe; Prometheus tolerates that, and it is what keeps
// Observe free of locks.
class alignas(kCacheLineBytes) Histogram {
 public:
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // A value equal to a bound counts in that bound's bucket (Prometheus' le is "less or equal").
  // NaN counts in the +Inf bucket only (and makes the sum NaN), as client_golang does.
  void Observe(double value) {
    const auto bucket =
        std::isnan(value) ? upper_bounds_.size()
                          : static_cast<std::size_t>(std::lower_bound(upper_bounds_.begin(),
                                                                      upper_bounds_.end(), value) -
                                                     upper_bounds_.begin());
    bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  HistogramSnapshot Snapshot() const;
  std::span<const double> upper_bounds() const { return upper_bounds_; }

 private:
  template <typename Metric>
  friend class Family;
  // upper_bounds must outlive the histogram: the family that creates it owns them.
  explicit Histogram(std::span<const double> upper_bounds);

  std::span<const double> upper_bounds_;
  // One count per bucket, not cumulative; the last one is +Inf.
  std::vector<std::atomic<std::uint64_t>> bucket_counts_;  // sized once, never resized
  std::atomic<double> sum_{0.0};
};

// Bucket upper bounds start, start*factor, start*factor^2, ... (count of them). Throws
// std::invalid_argument unless start > 0, factor > 1 and count >= 1.
std::vector<double> ExponentialBuckets(double start, double factor, std::size_t count);

// Latency buckets in seconds, from half a millisecond to ten seconds: 0.0005, 0.001, 0.0025,
// 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10.
std::vector<double> DefaultLatencyBucketsSeconds();

// Throws std::invalid_argument unless the bounds are finite and strictly increasing.
void ValidateBucketUpperBounds(std::span<const double> upper_bounds);

}  // namespace newswire::metrics
