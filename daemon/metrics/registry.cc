#include "daemon/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "daemon/metrics/text_format.h"

namespace newswire::metrics {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Throws std::invalid_argument naming the first rule the descriptor breaks.
void ValidateDescriptor(std::string_view name, MetricType type,
                        const std::vector<std::string>& label_names) {
  if (!IsValidMetricName(name)) {
    throw std::invalid_argument("metric name " + Quoted(name) +
                                " does not match [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsValidLabelName(label)) {
      throw std::invalid_argument("label name " + Quoted(label) + " of metric " + Quoted(name) +
                                  " does not match [a-zA-Z_][a-zA-Z0-9_]* or starts with __");
    }
    if (type == MetricType::kHistogram && label == "le") {
      throw std::invalid_argument("histogram " + Quoted(name) +
                                  " cannot have a label named \"le\": it names the buckets");
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument("metric " + Quoted(name) + " names label " + Quoted(label) +
                                  " twice");
    }
  }
}

// `a="x",b="y"`: the label pairs of one child, escaped, without braces.
std::string RenderLabels(const std::vector<std::string>& label_names,
                         const LabelValues& label_values) {
  std::string rendered;
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) rendered += ',';
    rendered += label_names[i];
    rendered += "=\"";
    AppendEscapedLabelValue(rendered, label_values[i]);
    rendered += '"';
  }
  return rendered;
}

// `name_suffix{labels,le="bound"} ` up to the value.
void AppendSeries(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view rendered_labels, std::optional<std::string_view> le) {
  out += name;
  out += suffix;
  if (!rendered_labels.empty() || le.has_value()) {
    out += '{';
    out += rendered_labels;
    if (le.has_value()) {
      if (!rendered_labels.empty()) out += ',';
      out += "le=\"";
      out += *le;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

// A family whose samples come from a callback at render time.
class CollectedFamily final : public internal::FamilyBase {
 public:
  CollectedFamily(std::string name, std::string help, MetricType type,
                  std::vector<std::string> label_names, Collector collect)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        collect_(std::move(collect)) {}

 private:
  void AppendTo(std::string& out) const override {
    CollectedSamples samples = collect_();
    // Checked before anything is written, so a failing family leaves no half of itself behind.
    for (const auto& [label_values, value] : samples) {
      if (label_values.size() != label_names().size()) {
        throw std::logic_error("collected metric " + Quoted(name()) + " returned a sample with " +
                               std::to_string(label_values.size()) + " label values for " +
                               std::to_string(label_names().size()) + " label names");
      }
    }
    std::sort(samples.begin(), samples.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto duplicate =
        std::adjacent_find(samples.begin(), samples.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; });
    if (duplicate != samples.end()) {
      throw std::logic_error("collected metric " + Quoted(name()) +
                             " returned two samples with the same label values");
    }
    AppendHeader(out);
    for (const auto& [label_values, value] : samples) {
      AppendSeries(out, name(), "", RenderLabels(label_names(), label_values), std::nullopt);
      AppendDouble(out, value);
      out += '\n';
    }
  }

  Collector collect_;
};

}  // namespace

namespace internal {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

void FamilyBase::AppendHeader(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  AppendEscapedHelp(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += TypeName(type_);
  out += '\n';
}

}  // namespace internal

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names,
                       std::vector<double> bucket_upper_bounds)
    : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
      bucket_upper_bounds_(std::move(bucket_upper_bounds)) {
  rendered_upper_bounds_.reserve(bucket_upper_bounds_.size() + 1);
  for (const double bound : bucket_upper_bounds_) {
    AppendDouble(rendered_upper_bounds_.emplace_back(), bound);
  }
  rendered_upper_bounds_.emplace_back("+Inf");
  if (this->label_names().empty()) WithLabels({});
}

template <typename Metric>
Metric& Family<Metric>::WithLabels(const LabelValues& label_values) {
  if (label_values.size() != label_names().size()) {
    throw std::invalid_argument("metric " + Quoted(name()) + " has " +
                                std::to_string(label_names().size()) + " label names, not " +
                                std::to_string(label_values.size()));
  }
  std::lock_guard lock(mutex_);
  auto it = children_.find(label_values);
  if (it == children_.end()) {
    Child child;
    child.rendered_labels = RenderLabels(label_names(), label_values);
    if constexpr (std::is_same_v<Metric, Histogram>) {
      // Not make_unique: the constructor is private to the family.
      child.metric = std::unique_ptr<Histogram>(new Histogram(bucket_upper_bounds_));
    } else {
      child.metric = std::make_unique<Metric>();
    }
    it = children_.emplace(label_values, std::move(child)).first;
  }
  return *it->second.metric;
}

template <typename Metric>
void Family<Metric>::AppendTo(std::string& out) const {
  AppendHeader(out);
  std::lock_guard lock(mutex_);
  for (const auto& [label_values, child] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const HistogramSnapshot snapshot = child.metric->Snapshot();
      for (std::size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
        AppendSeries(out, name(), "_bucket", child.rendered_labels, rendered_upper_bounds_[i]);
        AppendInteger(out, snapshot.cumulative_counts[i]);
        out += '\n';
      }
      AppendSeries(out, name(), "_sum", child.rendered_labels, std::nullopt);
      AppendDouble(out, snapshot.sum);
      out += '\n';
      AppendSeries(out, name(), "_count", child.rendered_labels, std::nullopt);
      AppendInteger(out, snapshot.count);
      out += '\n';
    } else if constexpr (std::is_same_v<Metric, metrics::Counter>) {
      AppendSeries(out, name(), "", child.rendered_labels, std::nullopt);
      AppendInteger(out, child.metric->value());
      out += '\n';
    } else {
      AppendSeries(out, name(), "", child.rendered_labels, std::nullopt);
      AppendDouble(out, child.metric->value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CounterFamily& Registry::Counter(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names) {
  return RegisterFamily<CounterFamily>(name, help, MetricType::kCounter, std::move(label_names),
                                       {});
}

GaugeFamily& Registry::Gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names) {
  return RegisterFamily<GaugeFamily>(name, help, MetricType::kGauge, std::move(label_names), {});
}

HistogramFamily& Registry::Histogram(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bucket_upper_bounds) {
  if (!bucket_upper_bounds.empty() && std::isinf(bucket_upper_bounds.back()) &&
      bucket_upper_bounds.back() > 0) {
    bucket_upper_bounds.pop_back();
  }
  return RegisterFamily<HistogramFamily>(name, help, MetricType::kHistogram, std::move(label_names),
                                         std::move(bucket_upper_bounds));
}

void Registry::CollectedCounter(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names, Collector collect) {
  RegisterCollected(name, help, MetricType::kCounter, std::move(label_names), std::move(collect));
}

void Registry::CollectedGauge(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names, Collector collect) {
  RegisterCollected(name, help, MetricType::kGauge, std::move(label_names), std::move(collect));
}

std::string Registry::Render() const {
  std::string out;
  RenderTo(out);
  return out;
}

void Registry::RenderTo(std::string& out) const {
  std::lock_guard render_lock(render_mutex_);
  // Families never die while the registry lives, so the pointers stay valid after mutex_ is
  // released; releasing it lets a collector (or another thread) register while this renders.
  std::vector<const internal::FamilyBase*> families;
  {
    std::lock_guard lock(mutex_);
    families.reserve(families_.size());
    for (const auto& family : families_) families.push_back(family.get());
  }
  for (const internal::FamilyBase* family : families) family->AppendTo(out);
}

template <typename FamilyType>
FamilyType& Registry::RegisterFamily(std::string_view name, std::string_view help, MetricType type,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bucket_upper_bounds) {
  ValidateDescriptor(name, type, label_names);
  ValidateBucketUpperBounds(bucket_upper_bounds);
  std::lock_guard lock(mutex_);
  if (const auto it = series_names_.find(std::string(name)); it != series_names_.end()) {
    const internal::FamilyBase& existing = *it->second;
    if (existing.name() != name) {
      throw std::invalid_argument("metric " + Quoted(name) + " clashes with the histogram " +
                                  Quoted(existing.name()) + ", which already writes it");
    }
    auto* same = dynamic_cast<FamilyType*>(it->second);
    if (same == nullptr) {
      const bool collected = dynamic_cast<const CollectedFamily*>(&existing) != nullptr;
      throw std::invalid_argument("metric " + Quoted(name) + " is already registered as a " +
                                  (collected ? "collected " : "") +
                                  std::string(TypeName(existing.type())));
    }
    if (existing.help() != help || existing.label_names() != label_names ||
        same->bucket_upper_bounds() != bucket_upper_bounds) {
      throw std::invalid_argument("metric " + Quoted(name) +
                                  " is already registered with different help, label names or "
                                  "buckets");
    }
    return *same;
  }
  const std::vector<std::string> names = SeriesNames(name, type);
  CheckNamesFree(name, names);
  // Not make_unique: the constructor is private to the registry.
  auto family = std::unique_ptr<FamilyType>(new FamilyType(std::string(name), std::string(help),
                                                           type, std::move(label_names),
                                                           std::move(bucket_upper_bounds)));
  FamilyType& result = *family;
  Adopt(std::move(family), names);
  return result;
}

void Registry::RegisterCollected(std::string_view name, std::string_view help, MetricType type,
                                 std::vector<std::string> label_names, Collector collect) {
  ValidateDescriptor(name, type, label_names);
  if (!collect) {
    throw std::invalid_argument("collected metric " + Quoted(name) + " has no callback");
  }
  std::lock_guard lock(mutex_);
  const std::vector<std::string> names = SeriesNames(name, type);
  CheckNamesFree(name, names);
  Adopt(std::make_unique<CollectedFamily>(std::string(name), std::string(help), type,
                                          std::move(label_names), std::move(collect)),
        names);
}

std::vector<std::string> Registry::SeriesNames(std::string_view name, MetricType type) {
  std::vector<std::string> names{std::string(name)};
  if (type == MetricType::kHistogram) {
    for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      names.push_back(std::string(name) + std::string(suffix));
    }
  }
  return names;
}

void Registry::CheckNamesFree(std::string_view name, const std::vector<std::string>& names) const {
  for (const std::string& series : names) {
    if (const auto it = series_names_.find(series); it != series_names_.end()) {
      throw std::invalid_argument("metric " + Quoted(name) + " clashes with the " +
                                  std::string(TypeName(it->second->type())) + " " +
                                  Quoted(it->second->name()) + ", which already writes " +
                                  Quoted(series));
    }
  }
}

void Registry::Adopt(std::unique_ptr<internal::FamilyBase> family,
                     const std::vector<std::string>& names) {
  for (const std::string& series : names) series_names_.emplace(series, family.get());
  families_.push_back(std::move(family));
}

}  // namespace newswire::metrics
