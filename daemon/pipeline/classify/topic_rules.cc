#include "daemon/pipeline/classify/topic_rules.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "daemon/pipeline/classify/folding.h"
#include "daemon/pipeline/classify/pattern_matcher.h"

namespace newswire::pipeline {
namespace {

enum class Role : std::uint8_t { kAny, kAll, kNone };

// One use of a pattern by a rule. A pattern shared by several rules ("sanctions") is compiled
// once and fans out to every use.
struct PatternUse {
  std::uint32_t rule = 0;
  std::uint32_t slot = 0;  // global index of the rule's counter for this pattern
  Role role = Role::kAny;
  std::uint32_t group = 0;  // for kAll: which group
};

struct Rule {
  std::string id;
  std::uint32_t topic = 0;  // index into Compiled::topics
  unsigned scope = 0;       // RuleScope bits
  std::size_t min_count = 1;
  std::size_t min_distinct = 1;
  double weight = 1.0;
  std::uint32_t any_patterns = 0;
  std::uint32_t groups = 0;
};

struct Topic {
  std::string code;
  std::string label;
  std::vector<std::string> ancestors;
};

constexpr std::size_t kMaxGroups = 32;  // groups are tracked as bits

}  // namespace

struct TopicRules::Compiled {
  std::vector<Rule> rules;
  std::vector<Topic> topics;
  std::shared_ptr<const PatternMatcher> matcher;
  std::vector<std::vector<PatternUse>> uses;  // by pattern id: the rules that use the pattern
  std::size_t slots = 0;
};

namespace {

// --- Parsing ---------------------------------------------------------------------------------

// Collects "file:line:col: message" lines; yaml-cpp marks are 0-based.
class Problems {
 public:
  explicit Problems(std::string_view file) : file_(file) {}

  void Add(const YAML::Mark& mark, std::string_view message) {
    lines_.push_back(fmt::format("{}:{}:{}: {}", file_, mark.line + 1, mark.column + 1, message));
  }
  std::string Location(const YAML::Mark& mark) const {
    return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
  }
  std::vector<std::string>& lines() { return lines_; }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

struct PatternSource {
  std::string text;      // as written
  std::string location;  // file:line:col
};

struct ParsedRule {
  std::string id;
  std::string location;
  std::string topic;
  unsigned scope = 0;
  std::size_t min_count = 1;
  std::size_t min_distinct = 1;
  double weight = 1.0;
  std::vector<PatternSource> any;
  std::vector<std::vector<PatternSource>> all;
  std::vector<PatternSource> none;
};

constexpr std::string_view kRuleKeys[] = {"id",    "topic",     "any",          "all",   "none",
                                          "scope", "min_count", "min_distinct", "weight"};

std::vector<PatternSource> ReadPatterns(const YAML::Node& node, std::string_view key,
                                        Problems& problems) {
  std::vector<PatternSource> patterns;
  if (!node.IsSequence()) {
    problems.Add(node.Mark(), fmt::format("'{}' must be a list of patterns", key));
    return patterns;
  }
  for (const YAML::Node& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      problems.Add(item.Mark(), fmt::format("'{}' holds an empty or non-text pattern", key));
      continue;
    }
    patterns.push_back({item.Scalar(), problems.Location(item.Mark())});
  }
  return patterns;
}

template <typename Number>
bool ReadNumber(const YAML::Node& node, std::string_view key, Number minimum, Number& out,
                Problems& problems) {
  Number value{};
  if (!node.IsScalar() || !YAML::convert<Number>::decode(node, value) || value < minimum) {
    problems.Add(node.Mark(), fmt::format("'{}' must be a number of at least {}", key, minimum));
    return false;
  }
  out = value;
  return true;
}

void ReadRule(const YAML::Node& node, Problems& problems, std::vector<ParsedRule>& rules) {
  if (!node.IsMap()) {
    problems.Add(node.Mark(), "a rule must be a mapping with id, topic and patterns");
    return;
  }
  ParsedRule rule;
  rule.location = problems.Location(node.Mark());
  rule.scope = static_cast<unsigned>(RuleScope::kTitle) | static_cast<unsigned>(RuleScope::kLead) |
               static_cast<unsigned>(RuleScope::kBody);
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(kRuleKeys), std::end(kRuleKeys), key) == std::end(kRuleKeys)) {
      problems.Add(entry.first.Mark(),
                   fmt::format("unknown key '{}' (known: id, topic, any, all, none, scope, "
                               "min_count, min_distinct, weight)",
                               key));
    }
  }
  if (const YAML::Node id = node["id"]; id && id.IsScalar() && !id.Scalar().empty()) {
    rule.id = id.Scalar();
  } else {
    problems.Add(node.Mark(), "the rule has no 'id'");
  }
  if (const YAML::Node topic = node["topic"]; topic && topic.IsScalar()) {
    rule.topic = topic.Scalar();
  } else {
    problems.Add(node.Mark(), "the rule has no 'topic'");
  }
  if (const YAML::Node any = node["any"]) rule.any = ReadPatterns(any, "any", problems);
  if (const YAML::Node none = node["none"]) rule.none = ReadPatterns(none, "none", problems);
  if (const YAML::Node all = node["all"]) {
    if (!all.IsSequence()) {
      problems.Add(all.Mark(), "'all' must be a list of pattern lists");
    } else {
      for (const YAML::Node& group : all) {
        rule.all.push_back(ReadPatterns(group, "all", problems));
        if (rule.all.back().empty()) {
          problems.Add(group.Mark(), "an 'all' group needs at least one pattern");
        }
      }
      if (rule.all.size() > kMaxGroups) {
        problems.Add(all.Mark(), fmt::format("at most {} 'all' groups", kMaxGroups));
      }
    }
  }
  if (rule.any.empty() && rule.all.empty()) {
    problems.Add(node.Mark(), "the rule needs patterns in 'any' or 'all'");
  }
  if (const YAML::Node scope = node["scope"]) {
    rule.scope = 0;
    if (!scope.IsSequence() || scope.size() == 0) {
      problems.Add(scope.Mark(), "'scope' must be a list of title, lead, body");
    } else {
      for (const YAML::Node& item : scope) {
        const std::string name = item.IsScalar() ? item.Scalar() : "";
        if (name == "title") {
          rule.scope |= static_cast<unsigned>(RuleScope::kTitle);
        } else if (name == "lead") {
          rule.scope |= static_cast<unsigned>(RuleScope::kLead);
        } else if (name == "body") {
          rule.scope |= static_cast<unsigned>(RuleScope::kBody);
        } else {
          problems.Add(item.Mark(), fmt::format("unknown scope '{}' (title, lead, body)", name));
        }
      }
    }
  }
  if (const YAML::Node count = node["min_count"]) {
    ReadNumber<std::size_t>(count, "min_count", 1, rule.min_count, problems);
  }
  if (const YAML::Node distinct = node["min_distinct"]) {
    ReadNumber<std::size_t>(distinct, "min_distinct", 1, rule.min_distinct, problems);
    if (!rule.any.empty() && rule.min_distinct > rule.any.size()) {
      problems.Add(distinct.Mark(), fmt::format("'min_distinct' is {} but 'any' has only {} "
                                                "patterns",
                                                rule.min_distinct, rule.any.size()));
    }
  }
  if (const YAML::Node weight = node["weight"]) {
    ReadNumber<double>(weight, "weight", 0.0, rule.weight, problems);
  }
  rules.push_back(std::move(rule));
}

void ReadFile(const RuleSource& source, std::vector<ParsedRule>& rules, Problems& problems) {
  YAML::Node document;
  try {
    document = YAML::Load(source.text);
  } catch (const YAML::Exception& error) {
    problems.Add(error.mark, fmt::format("YAML syntax: {}", error.msg));
    return;
  }
  if (!document.IsMap() || !document["rules"] || !document["rules"].IsSequence()) {
    problems.Add(document.Mark(), "a rule file is a mapping with a list 'rules'");
    return;
  }
  for (const auto& entry : document) {
    if (entry.first.Scalar() != "rules") {
      problems.Add(entry.first.Mark(),
                   fmt::format("unknown key '{}' (known: rules)", entry.first.Scalar()));
    }
  }
  for (const YAML::Node& rule : document["rules"]) ReadRule(rule, problems, rules);
}

// --- Matching --------------------------------------------------------------------------------

struct Hit {
  std::uint32_t pattern = 0;
  RuleScope where = RuleScope::kBody;
  std::size_t begin = 0;  // in the normalized field
  std::size_t end = 0;
};

// Per thread, reused for every article: the hit and counter buffers.
// Count per rule: occurrences per pattern slot (capped), points, groups seen, vetoes.
struct RuleTally {
  double points = 0.0;
  std::size_t any_matches = 0;
  std::size_t any_distinct = 0;
  std::uint32_t groups_seen = 0;
  bool vetoed = false;
  bool touched = false;
  bool fired = false;
};

// Per worker thread, reused for every article: the dense arrays are indexed by slot, rule and
// topic, and only the entries an article touched are reset after it, so matching allocates
// nothing but the tags it returns.
struct MatchState {
  std::vector<PatternMatcher::Hit> folded_hits;
  std::vector<Hit> hits;
  std::vector<std::uint8_t> slot_counts;
  std::vector<std::uint32_t> touched_slots;
  std::vector<RuleTally> tallies;  // by rule
  std::vector<std::uint32_t> touched_rules;
  std::vector<double> topic_points;       // by topic
  std::vector<std::size_t> tag_of_topic;  // by topic, kNoTag when the topic has no tag
  std::vector<std::uint32_t> tagged_topics;
  std::vector<std::size_t> tags_of_hit;
};

constexpr std::size_t kNoTag = static_cast<std::size_t>(-1);

double PointsFor(RuleScope where) {
  switch (where) {
    case RuleScope::kTitle:
      return kTitleMatchPoints;
    case RuleScope::kLead:
      return kLeadMatchPoints;
    case RuleScope::kBody:
      return kBodyMatchPoints;
  }
  return kBodyMatchPoints;
}

}  // namespace

TopicRules::TopicRules(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
TopicRules::~TopicRules() = default;

std::size_t TopicRules::rule_count() const { return compiled_->rules.size(); }
std::size_t TopicRules::pattern_count() const { return compiled_->matcher->pattern_count(); }

Result<std::shared_ptr<const TopicRules>> TopicRules::Compile(
    const std::vector<RuleSource>& sources, const Taxonomy& taxonomy) {
  std::vector<std::string> problem_lines;
  std::vector<ParsedRule> parsed;
  for (const RuleSource& source : sources) {
    Problems problems(source.name);
    ReadFile(source, parsed, problems);
    for (auto& line : problems.lines()) problem_lines.push_back(std::move(line));
  }

  auto compiled = std::make_unique<Compiled>();
  PatternMatcher::Builder builder;
  std::unordered_map<std::string, std::string> first_location_of_id;
  std::unordered_map<std::string, std::uint32_t> topic_index;
  for (ParsedRule& rule : parsed) {
    if (rule.id.empty() || rule.topic.empty()) continue;  // already reported
    if (auto [found, inserted] = first_location_of_id.emplace(rule.id, rule.location); !inserted) {
      problem_lines.push_back(fmt::format("{}: duplicate rule id '{}' (first at {})", rule.location,
                                          rule.id, found->second));
      continue;
    }
    const MediaTopic* topic = taxonomy.Find(rule.topic);
    if (topic == nullptr) {
      problem_lines.push_back(fmt::format("{}: rule '{}': topic '{}' is not in the taxonomy",
                                          rule.location, rule.id, rule.topic));
      continue;
    }
    if (topic->retired) {
      problem_lines.push_back(fmt::format("{}: rule '{}': topic {} ({}) is retired", rule.location,
                                          rule.id, topic->code, topic->label));
      continue;
    }
    auto [topic_entry, new_topic] =
        topic_index.emplace(topic->code, static_cast<std::uint32_t>(compiled->topics.size()));
    if (new_topic) {
      compiled->topics.push_back({topic->code, topic->label, taxonomy.Ancestors(topic->code)});
    }

    Rule compiled_rule;
    compiled_rule.id = rule.id;
    compiled_rule.topic = topic_entry->second;
    compiled_rule.scope = rule.scope;
    compiled_rule.min_count = rule.min_count;
    compiled_rule.min_distinct = rule.min_distinct;
    compiled_rule.weight = rule.weight;
    compiled_rule.any_patterns = static_cast<std::uint32_t>(rule.any.size());
    compiled_rule.groups = static_cast<std::uint32_t>(rule.all.size());
    const auto rule_index = static_cast<std::uint32_t>(compiled->rules.size());
    auto add = [&](const PatternSource& source, Role role, std::uint32_t group) {
      const PatternUse use{rule_index, static_cast<std::uint32_t>(compiled->slots++), role, group};
      const auto id = builder.Add(source.text, source.location);
      if (!id) {
        problem_lines.push_back(
            fmt::format("{}: pattern '{}' is empty once folded", source.location, source.text));
        return;
      }
      if (*id >= compiled->uses.size()) compiled->uses.resize(*id + 1);
      compiled->uses[*id].push_back(use);
    };
    for (const PatternSource& source : rule.any) add(source, Role::kAny, 0);
    for (std::uint32_t group = 0; group < rule.all.size(); ++group) {
      for (const PatternSource& source : rule.all[group]) add(source, Role::kAll, group);
    }
    for (const PatternSource& source : rule.none) add(source, Role::kNone, 0);
    compiled->rules.push_back(std::move(compiled_rule));
  }
  if (problem_lines.empty() && builder.size() == 0) {
    problem_lines.push_back("no topic rules: every rule file is empty");
  }
  if (problem_lines.empty()) {
    auto matcher = builder.Build();
    if (matcher) {
      compiled->matcher = std::move(*matcher);
    } else {
      problem_lines.push_back(std::move(matcher.error().message));
    }
  }
  if (!problem_lines.empty()) return MakeProblemListError("the topic rules", problem_lines);
  return std::shared_ptr<const TopicRules>(new TopicRules(std::move(compiled)));
}

Result<std::vector<TopicTag>> TopicRules::Match(const Article& article) const {
  thread_local FoldedText folded_title;
  thread_local FoldedText folded_body;
  FoldInto(article.title, folded_title);
  FoldInto(article.body, folded_body);
  return Match(article, folded_title, folded_body);
}

Result<std::vector<TopicTag>> TopicRules::Match(const Article& article,
                                                const FoldedText& folded_title,
                                                const FoldedText& folded_body) const {
  thread_local MatchState state;
  const Compiled& compiled = *compiled_;
  state.hits.clear();
  const std::size_t first_break = article.body.find("\n\n");
  const std::size_t lead_end = first_break == std::string::npos ? article.body.size() : first_break;
  for (const auto& [field, text, folded] :
       {std::tuple{RuleScope::kTitle, std::string_view(article.title), &folded_title},
        std::tuple{RuleScope::kBody, std::string_view(article.body), &folded_body}}) {
    if (text.empty()) continue;
    state.folded_hits.clear();
    if (auto scanned = compiled.matcher->Scan(*folded, state.folded_hits); !scanned) {
      return tl::unexpected<Error>(std::move(scanned.error()));
    }
    for (const PatternMatcher::Hit& folded_hit : state.folded_hits) {
      const ByteRange original = OriginalRange(*folded, folded_hit.begin, folded_hit.end);
      RuleScope where = field;
      if (where == RuleScope::kBody && original.begin < lead_end) where = RuleScope::kLead;
      state.hits.push_back({folded_hit.pattern, where, original.begin, original.end});
    }
  }

  if (state.slot_counts.size() < compiled.slots) state.slot_counts.resize(compiled.slots);
  if (state.tallies.size() < compiled.rules.size()) state.tallies.resize(compiled.rules.size());
  if (state.tag_of_topic.size() < compiled.topics.size()) {
    state.topic_points.resize(compiled.topics.size(), 0.0);
    state.tag_of_topic.resize(compiled.topics.size(), kNoTag);
  }
  for (const Hit& hit : state.hits) {
    for (const PatternUse& use : compiled.uses[hit.pattern]) {
      const Rule& rule = compiled.rules[use.rule];
      if ((rule.scope & static_cast<unsigned>(hit.where)) == 0) continue;
      RuleTally& tally = state.tallies[use.rule];
      if (!tally.touched) {
        tally.touched = true;
        state.touched_rules.push_back(use.rule);
      }
      if (use.role == Role::kNone) {
        tally.vetoed = true;
        continue;
      }
      std::uint8_t& count = state.slot_counts[use.slot];
      if (count == 0) state.touched_slots.push_back(use.slot);
      if (count >= kMaxCountedOccurrences) continue;
      ++count;
      tally.points += PointsFor(hit.where) * rule.weight;
      if (use.role == Role::kAll) {
        tally.groups_seen |= 1U << use.group;
      } else {
        ++tally.any_matches;
        if (count == 1) ++tally.any_distinct;
      }
    }
  }
  for (const std::uint32_t slot : state.touched_slots) state.slot_counts[slot] = 0;
  state.touched_slots.clear();

  // Fired rules add their points to their topic. Rules are summed in the order of their first
  // hit, so the same article gives the same scores on every run.
  for (const std::uint32_t rule_index : state.touched_rules) {
    RuleTally& tally = state.tallies[rule_index];
    const Rule& rule = compiled.rules[rule_index];
    if (tally.vetoed) continue;
    const std::uint32_t all_groups = rule.groups == 32 ? ~0U : (1U << rule.groups) - 1;
    if ((tally.groups_seen & all_groups) != all_groups) continue;
    if (rule.any_patterns > 0 &&
        (tally.any_matches < rule.min_count || tally.any_distinct < rule.min_distinct)) {
      continue;
    }
    tally.fired = true;
    if (state.tag_of_topic[rule.topic] == kNoTag) {
      state.tag_of_topic[rule.topic] = 0;
      state.tagged_topics.push_back(rule.topic);
    }
    state.topic_points[rule.topic] += tally.points;
  }
  std::sort(state.tagged_topics.begin(), state.tagged_topics.end());

  std::vector<TopicTag> tags;
  tags.reserve(state.tagged_topics.size());
  for (const std::uint32_t topic_index : state.tagged_topics) {
    const Topic& topic = compiled.topics[topic_index];
    TopicTag tag;
    tag.scheme = "iptc-medtop";
    tag.code = topic.code;
    tag.label = topic.label;
    tag.score = 1.0 - std::exp(-state.topic_points[topic_index] / kScorePointsScale);
    tag.ancestors = topic.ancestors;
    tag.method = "rule";
    state.tag_of_topic[topic_index] = tags.size();
    tags.push_back(std::move(tag));
  }
  // Evidence in text order (title first, then body), one entry per hit and tag even when
  // several rules of the tag's topic share the pattern.
  for (const Hit& hit : state.hits) {
    state.tags_of_hit.clear();
    for (const PatternUse& use : compiled.uses[hit.pattern]) {
      if (use.role == Role::kNone || !state.tallies[use.rule].fired) continue;
      const Rule& rule = compiled.rules[use.rule];
      if ((rule.scope & static_cast<unsigned>(hit.where)) == 0) continue;
      const std::size_t tag_index = state.tag_of_topic[rule.topic];
      TopicTag& tag = tags[tag_index];
      if (tag.evidence.size() >= kMaxEvidencePerTag ||
          std::find(state.tags_of_hit.begin(), state.tags_of_hit.end(), tag_index) !=
              state.tags_of_hit.end()) {
        continue;
      }
      state.tags_of_hit.push_back(tag_index);
      const bool in_title = hit.where == RuleScope::kTitle;
      const std::string& field_text = in_title ? article.title : article.body;
      tag.evidence.push_back({in_title ? "title" : "body", hit.begin, hit.end,
                              field_text.substr(hit.begin, hit.end - hit.begin), rule.id});
    }
  }
  for (const std::uint32_t rule_index : state.touched_rules) state.tallies[rule_index] = {};
  state.touched_rules.clear();
  for (const std::uint32_t topic_index : state.tagged_topics) {
    state.topic_points[topic_index] = 0.0;
    state.tag_of_topic[topic_index] = kNoTag;
  }
  state.tagged_topics.clear();
  std::sort(tags.begin(), tags.end(), [](const TopicTag& left, const TopicTag& right) {
    return left.score != right.score ? left.score > right.score : left.code < right.code;
  });
  return tags;
}

}  // namespace newswire::pipeline
