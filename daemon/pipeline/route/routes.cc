#include "daemon/pipeline/route/routes.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace newswire::pipeline {
namespace {

constexpr std::string_view kRouteKeys[] = {"name", "kafka_topic", "topics", "countries",
                                           "min_score"};
constexpr std::size_t kMaxTopicNameLength = 249;  // Kafka's limit

bool IsValidKafkaTopic(std::string_view name) {
  return !name.empty() && name.size() <= kMaxTopicNameLength && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

bool IsCountryCode(std::string_view code) {
  return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

bool TagMatches(const TopicTag& tag, const std::string& code) {
  return tag.code == code ||
         std::find(tag.ancestors.begin(), tag.ancestors.end(), code) != tag.ancestors.end();
}

}  // namespace

Result<Routes> Routes::Parse(std::string_view yaml, std::string_view file_name,
                             const Taxonomy& taxonomy) {
  std::vector<std::string> problems;
  auto add = [&](const YAML::Mark& mark, std::string_view message) {
    problems.push_back(
        fmt::format("{}:{}:{}: {}", file_name, mark.line + 1, mark.column + 1, message));
  };
  Routes parsed;
  try {
    const YAML::Node document = YAML::Load(std::string(yaml));
    const YAML::Node list = document.IsMap() ? document["routes"] : YAML::Node();
    if (document.IsNull()) return parsed;  // an empty file: no routes
    if (!list || !list.IsSequence()) {
      add(document.Mark(), "a routes file is a mapping with a list 'routes'");
    } else {
      std::set<std::string> names;
      for (const YAML::Node& node : list) {
        if (!node.IsMap()) {
          add(node.Mark(), "a route is a mapping with name, kafka_topic, topics or countries");
          continue;
        }
        Route route;
        for (const auto& entry : node) {
          const std::string key = entry.first.Scalar();
          if (std::find(std::begin(kRouteKeys), std::end(kRouteKeys), key) ==
              std::end(kRouteKeys)) {
            add(entry.first.Mark(), fmt::format("unknown key '{}' (known: name, kafka_topic, "
                                                "topics, countries, min_score)",
                                                key));
          }
        }
        if (const YAML::Node name = node["name"];
            name && name.IsScalar() && !name.Scalar().empty()) {
          route.name = name.Scalar();
          if (!names.insert(route.name).second) {
            add(name.Mark(), fmt::format("route name '{}' is used twice", route.name));
          }
        } else {
          add(node.Mark(), "the route has no 'name'");
        }
        if (const YAML::Node topic = node["kafka_topic"]; topic && topic.IsScalar()) {
          route.kafka_topic = topic.Scalar();
          if (!IsValidKafkaTopic(route.kafka_topic)) {
            add(topic.Mark(), fmt::format("'{}' is not a valid Kafka topic name (1 to 249 of "
                                          "a-z A-Z 0-9 . _ -)",
                                          route.kafka_topic));
          }
        } else {
          add(node.Mark(), "the route has no 'kafka_topic'");
        }
        if (const YAML::Node topics = node["topics"]) {
          if (!topics.IsSequence()) {
            add(topics.Mark(), "'topics' must be a list of IPTC codes");
          } else {
            for (const YAML::Node& code : topics) {
              const MediaTopic* topic = code.IsScalar() ? taxonomy.Find(code.Scalar()) : nullptr;
              if (topic == nullptr || topic->retired) {
                add(code.Mark(), fmt::format("'{}' is not an active IPTC Media Topic",
                                             code.IsScalar() ? code.Scalar() : ""));
                continue;
              }
              route.topics.push_back(topic->code);
            }
          }
        }
        if (const YAML::Node countries = node["countries"]) {
          if (!countries.IsSequence()) {
            add(countries.Mark(), "'countries' must be a list of ISO 3166 alpha-2 codes");
          } else {
            for (const YAML::Node& code : countries) {
              if (!code.IsScalar() || !IsCountryCode(code.Scalar())) {
                add(code.Mark(), fmt::format("'{}' is not an ISO 3166 alpha-2 code such as VE",
                                             code.IsScalar() ? code.Scalar() : ""));
                continue;
              }
              route.countries.push_back(code.Scalar());
            }
          }
        }
        if (!node["topics"] && !node["countries"]) {
          add(node.Mark(), "the route needs 'topics' or 'countries'");
        }
        if (const YAML::Node score = node["min_score"]) {
          double value = -1.0;
          if (!score.IsScalar() || !YAML::convert<double>::decode(score, value) || value < 0.0 ||
              value > 1.0) {
            add(score.Mark(), "'min_score' must be a number from 0 to 1");
          } else {
            route.min_score = value;
          }
        }
        parsed.routes_.push_back(std::move(route));
      }
    }
  } catch (const YAML::Exception& error) {
    add(error.mark, fmt::format("YAML syntax: {}", error.msg));
  }
  if (!problems.empty()) return MakeProblemListError("the routes", problems);
  return parsed;
}

std::vector<std::string> Routes::Match(const Article& article) const {
  std::vector<std::string> kafka_topics;
  for (const Route& route : routes_) {
    const bool topics_match =
        route.topics.empty() ||
        std::any_of(article.topics.begin(), article.topics.end(), [&](const TopicTag& tag) {
          return tag.score >= route.min_score &&
                 std::any_of(route.topics.begin(), route.topics.end(),
                             [&](const std::string& code) { return TagMatches(tag, code); });
        });
    const bool countries_match =
        route.countries.empty() ||
        std::any_of(article.entities.begin(), article.entities.end(), [&](const Entity& entity) {
          return entity.type == "country" &&
                 std::find(route.countries.begin(), route.countries.end(), entity.identifier) !=
                     route.countries.end();
        });
    if (topics_match && countries_match &&
        std::find(kafka_topics.begin(), kafka_topics.end(), route.kafka_topic) ==
            kafka_topics.end()) {
      kafka_topics.push_back(route.kafka_topic);
    }
  }
  return kafka_topics;
}

}  // namespace newswire::pipeline
