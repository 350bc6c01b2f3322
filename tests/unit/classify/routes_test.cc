#include "daemon/pipeline/route/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace newswire::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kTaxonomy =
    "medtop:16000000\t\t\tconflict, war and peace\t\n"
    "medtop:20000056\tmedtop:16000000\t\tarmed conflict\t\n"
    "medtop:15000000\t\t\tsport\t\n"
    "medtop:20000100\tmedtop:15000000\tretired\tan old topic\t\n";

const Taxonomy& TestTaxonomy() {
  static const Taxonomy taxonomy = *Taxonomy::Parse(kTaxonomy, "test.tsv");
  return taxonomy;
}

Routes ParseOrFail(const std::string& yaml) {
  auto routes = Routes::Parse(yaml, "routes.yaml", TestTaxonomy());
  EXPECT_TRUE(routes.has_value()) << routes.error().message;
  return routes ? std::move(*routes) : Routes{};
}

Article Tagged(std::string code, double score, std::vector<std::string> ancestors,
               std::vector<std::string> countries) {
  Article article;
  TopicTag tag;
  tag.code = std::move(code);
  tag.score = score;
  tag.ancestors = std::move(ancestors);
  article.topics.push_back(tag);
  for (std::string& country : countries) {
    Entity entity;
    entity.type = "country";
    entity.identifier = std::move(country);
    article.entities.push_back(entity);
  }
  return article;
}

constexpr char kVenezuelaConflict[] = R"(
routes:
  - name: venezuela-conflict
    kafka_topic: alerts.venezuela
    topics: [medtop:16000000]
    countries: [VE]
    min_score: 0.3
  - name: all-sport
    kafka_topic: desk.sport
    topics: ["15000000"]
)";

TEST(RoutesTest, EveryGivenConditionMustMatchAndAncestorsCount) {
  const Routes routes = ParseOrFail(kVenezuelaConflict);
  ASSERT_EQ(routes.routes().size(), 2U);
  EXPECT_EQ(routes.routes()[1].topics, std::vector<std::string>{"medtop:15000000"});
  // A subtopic of conflict, about Venezuela.
  EXPECT_THAT(routes.Match(Tagged("medtop:20000056", 0.8, {"medtop:16000000"}, {"RU", "VE"})),
              ElementsAre("alerts.venezuela"));
  EXPECT_THAT(routes.Match(Tagged("medtop:20000056", 0.8, {"medtop:16000000"}, {"RU"})), IsEmpty());
  EXPECT_THAT(routes.Match(Tagged("medtop:20000056", 0.2, {"medtop:16000000"}, {"VE"})), IsEmpty());
  EXPECT_THAT(routes.Match(Tagged("medtop:15000000", 0.1, {}, {})), ElementsAre("desk.sport"));
}

TEST(RoutesTest, AnEmptyFileHasNoRoutes) {
  EXPECT_TRUE(ParseOrFail("").routes().empty());
  EXPECT_TRUE(ParseOrFail("# nothing yet\n").routes().empty());
}

TEST(RoutesTest, EveryProblemIsListedWithItsPlace) {
  auto routes = Routes::Parse(R"(routes:
  - name: a
    kafka_topic: "bad topic!"
    topics: [medtop:99999999, medtop:20000100]
    countries: [ve]
  - name: a
    kafka_topic: ok
    min_score: 2
    colour: red
)",
                              "routes.yaml", TestTaxonomy());
  ASSERT_FALSE(routes.has_value());
  const std::string& message = routes.error().message;
  EXPECT_THAT(message, HasSubstr("routes.yaml:3:18: 'bad topic!' is not a valid Kafka topic"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:4:14: 'medtop:99999999' is not an active IPTC"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:4:31: 'medtop:20000100' is not an active IPTC"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:5:17: 've' is not an ISO 3166 alpha-2 code"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:6:11: route name 'a' is used twice"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:6:5: the route needs 'topics' or 'countries'"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:8:16: 'min_score' must be a number from 0 to 1"));
  EXPECT_THAT(message, HasSubstr("routes.yaml:9:5: unknown key 'colour'"));
}

}  // namespace
}  // namespace newswire::pipeline
