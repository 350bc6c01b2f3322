#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/metrics/metric.h"

namespace newswire::metrics {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;
// What a collected family's callback returns: one value per label-value tuple.
using CollectedSamples = std::vector<std::pair<LabelValues, double>>;
using Collector = std::function<CollectedSamples()>;

class Registry;

namespace internal {

// What every family has: a name, HELP text, a type and label names; and the way it renders.
// Owned by the Registry, which never moves or destroys it while it lives.
class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 protected:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);

  // The "# HELP" and "# TYPE" lines.
  void AppendHeader(std::string& out) const;

 private:
  friend class metrics::Registry;
  // Appends the header and every sample. Called by Registry::RenderTo on the rendering thread,
  // one rendering at a time.
  virtual void AppendTo(std::string& out) const = 0;

  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

}  // namespace internal

// One metric name with its label names, and one child metric (Counter, Gauge or Histogram) per
// tuple of label values. Created by Registry::Counter/Gauge/Histogram and owned by the registry.
//
// WithLabels takes the family's mutex and looks the tuple up (creating the child on first use),
// so hot paths call it once and keep the reference: children never move or die while the
// registry lives. Any thread may call WithLabels; Render takes the same mutex while it reads.
template <typename Metric>
class Family final : public internal::FamilyBase {
 public:
  // Throws std::invalid_argument when the number of values is not the number of label names: a
  // programming error.
  Metric& WithLabels(const LabelValues& label_values);
  // The one child of a family without labels (created with the family, so it renders as 0 before
  // the first update). Throws std::invalid_argument on a family with labels.
  Metric& Get() { return WithLabels({}); }

  // Histogram families only: the bucket upper bounds, without the implicit +Inf.
  const std::vector<double>& bucket_upper_bounds() const { return bucket_upper_bounds_; }

 private:
  friend class Registry;
  struct Child {
    std::string rendered_labels;  // `a="x",b="y"`, escaped, without braces
    std::unique_ptr<Metric> metric;
  };

  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> bucket_upper_bounds);
  void AppendTo(std::string& out) const override;

  const std::vector<double> bucket_upper_bounds_;
  std::vector<std::string> rendered_upper_bounds_;  // "0.005", ..., "+Inf"
  mutable std::mutex mutex_;                        // guards children_
  std::map<LabelValues, Child> children_;           // map: rendered in label order
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// The process's metrics, rendered in the Prometheus text exposition format (0.0.4) for the
// GET /metrics endpoint. Owned by the app, which outlives everything that holds a family or a
// metric from it.
//
// Registration happens at start-up: a bad name, label name or bucket set is a programming error
// and throws std::invalid_argument there. Registering a name again with the same type, HELP,
// label names (and buckets) returns the same family; with anything different it throws, as it
// does for a name that clashes with a histogram's _bucket/_sum/_count series. Registration is
// thread-safe.
//
// Render runs on whichever thread serves /metrics; renderings are serialized, and each family is
// locked only while its own samples are written, so updates never wait and registrations wait
// only for a moment.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& Counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& Gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {});
  // A trailing +Inf in bucket_upper_bounds is dropped (the +Inf bucket is always there); "le"
  // cannot be a label name.
  HistogramFamily& Histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names,
                             std::vector<double> bucket_upper_bounds);

  // Families whose values live elsewhere (queue depths, consumer lag per partition): collect runs
  // on the rendering thread, inside Render, one rendering at a time, and must not call Render. Its
  // samples are rendered in label order. A sample whose label count does not match, or two
  // samples with the same labels, make Render throw std::logic_error, as does anything collect
  // throws: an exception is never swallowed. Always throws when the name is already registered.
  void CollectedCounter(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names, Collector collect);
  void CollectedGauge(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names, Collector collect);

  // Every family in registration order: "# HELP" and "# TYPE" lines once per family, then its
  // samples. RenderTo appends to out (so a caller can reuse the buffer); if it throws, out holds
  // the text up to the family that failed.
  std::string Render() const;
  void RenderTo(std::string& out) const;

 private:
  template <typename FamilyType>
  FamilyType& RegisterFamily(std::string_view name, std::string_view help, MetricType type,
                             std::vector<std::string> label_names,
                             std::vector<double> bucket_upper_bounds);
  void RegisterCollected(std::string_view name, std::string_view help, MetricType type,
                         std::vector<std::string> label_names, Collector collect);
  // The names a family of this type and name writes samples under.
  static std::vector<std::string> SeriesNames(std::string_view name, MetricType type);
  // Throws unless none of names is taken. Called with mutex_ held.
  void CheckNamesFree(std::string_view name, const std::vector<std::string>& names) const;
  // Takes ownership and claims names. Called with mutex_ held.
  void Adopt(std::unique_ptr<internal::FamilyBase> family, const std::vector<std::string>& names);

  mutable std::mutex render_mutex_;  // one rendering at a time; taken before mutex_
  mutable std::mutex mutex_;         // guards families_ and series_names_
  std::vector<std::unique_ptr<internal::FamilyBase>> families_;  // in registration order
  // Every series name in use (a histogram's name and its _bucket/_sum/_count), and its family.
  std::unordered_map<std::string, internal::FamilyBase*> series_names_;
};

}  // namespace newswire::metrics
