#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/taxonomy.h"

namespace newswire::pipeline {

// One route: articles whose tags match go, in addition to the main topic, to `kafka_topic`.
struct Route {
  std::string name;
  std::string kafka_topic;
  std::vector<std::string> topics;     // IPTC codes; a tag matches with its code or an ancestor
  std::vector<std::string> countries;  // ISO 3166 alpha-2 codes among the article's countries
  double min_score = 0.0;              // a topic tag counts from this score
};

// The routes of `classify.routes_file` (docs/routes.md):
//   routes:
//     - name: venezuela-conflict
//       kafka_topic: alerts.venezuela
//       topics: [medtop:16000000, medtop:20000639]   # any of these
//       countries: [VE]                               # and any of these
//       min_score: 0.3
// A route needs `topics` or `countries` or both; every list given must match. Immutable once
// parsed; Match is thread-safe.
class Routes {
 public:
  Routes() = default;

  // Fails (stage config) with every problem as "file:line:col: message": YAML syntax, unknown
  // keys, a missing or repeated name, an invalid Kafka topic name, an unknown or retired IPTC
  // code, a country that is not two capital letters, a score outside 0..1.
  static Result<Routes> Parse(std::string_view yaml, std::string_view file_name,
                              const Taxonomy& taxonomy);

  // The Kafka topics of the routes `article` matches, in file order, without repeats.
  std::vector<std::string> Match(const Article& article) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace newswire::pipeline
