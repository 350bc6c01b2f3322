#include "daemon/pipeline/classify/topic_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace newswire::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A slice of IPTC Media Topics: politics > diplomacy, conflict > weaponry, sport, and a retired
// concept.
constexpr std::string_view kTaxonomy =
    "medtop:11000000\t\t\tpolitics and government\tQ7163\n"
    "medtop:20000638\tmedtop:11000000\t\tinternational relations\t\n"
    "medtop:20000639\tmedtop:20000638\t\tdiplomacy\t\n"
    "medtop:16000000\t\t\tconflict, war and peace\t\n"
    "medtop:20000602\tmedtop:16000000\t\tmilitary weaponry\t\n"
    "medtop:15000000\t\t\tsport\t\n"
    "medtop:20000100\tmedtop:15000000\tretired\tan old sport topic\t\n";

const Taxonomy& TestTaxonomy() {
  static const Taxonomy taxonomy = [] {
    auto parsed = Taxonomy::Parse(kTaxonomy, "test.tsv");
    EXPECT_TRUE(parsed.has_value()) << parsed.error().Describe();
    return std::move(*parsed);
  }();
  return taxonomy;
}

std::shared_ptr<const TopicRules> CompileOrFail(const std::string& yaml) {
  auto rules = TopicRules::Compile({{"rules.yaml", yaml}}, TestTaxonomy());
  EXPECT_TRUE(rules.has_value()) << rules.error().Describe();
  return rules ? *rules : nullptr;
}

std::string CompileError(const std::string& yaml) {
  auto rules = TopicRules::Compile({{"rules.yaml", yaml}}, TestTaxonomy());
  EXPECT_FALSE(rules.has_value());
  return rules ? "" : rules.error().message;
}

Article MakeArticle(std::string title, std::string body) {
  Article article;
  article.title = std::move(title);
  article.body = std::move(body);
  return article;
}

std::vector<TopicTag> TagsOf(const TopicRules& rules, const Article& article) {
  auto tags = rules.Match(article);
  EXPECT_TRUE(tags.has_value()) << tags.error().Describe();
  return tags ? std::move(*tags) : std::vector<TopicTag>{};
}

std::vector<std::string> CodesOf(const std::vector<TopicTag>& tags) {
  std::vector<std::string> codes;
  for (const TopicTag& tag : tags) codes.push_back(tag.code);
  return codes;
}

std::vector<std::string> Codes(const std::string& yaml, std::string title, std::string body) {
  const auto rules = CompileOrFail(yaml);
  if (!rules) return {};
  return CodesOf(TagsOf(*rules, MakeArticle(std::move(title), std::move(body))));
}

constexpr char kDiplomacy[] = R"(
rules:
  - id: diplomacy
    topic: medtop:20000639
    any: [embassy, "foreign minister", "diplomat*"]
)";

TEST(TopicRulesTest, AnyTermTagsTheTopicWithLabelAncestorsAndEvidence) {
  const auto rules = CompileOrFail(kDiplomacy);
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->rule_count(), 1U);
  EXPECT_EQ(rules->pattern_count(), 3U);
  const Article article = MakeArticle("Talks resume", "The Foreign Minister met envoys today.");
  const auto tags = TagsOf(*rules, article);
  ASSERT_EQ(tags.size(), 1U);
  const TopicTag& tag = tags[0];
  EXPECT_EQ(tag.scheme, "iptc-medtop");
  EXPECT_EQ(tag.code, "medtop:20000639");
  EXPECT_EQ(tag.label, "diplomacy");
  EXPECT_THAT(tag.ancestors, ElementsAre("medtop:20000638", "medtop:11000000"));
  EXPECT_EQ(tag.method, "rule");
  EXPECT_GT(tag.score, 0.0);
  EXPECT_LT(tag.score, 1.0);
  ASSERT_EQ(tag.evidence.size(), 1U);
  EXPECT_EQ(tag.evidence[0].field, "body");
  EXPECT_EQ(tag.evidence[0].text, "Foreign Minister");
  EXPECT_EQ(article.body.substr(tag.evidence[0].begin_offset,
                                tag.evidence[0].end_offset - tag.evidence[0].begin_offset),
            "Foreign Minister");
  EXPECT_EQ(tag.evidence[0].rule_id, "diplomacy");
}

TEST(TopicRulesTest, TermsMatchWholeWordsAndPrefixesWithAStar) {
  EXPECT_TRUE(Codes(kDiplomacy, "", "Embassy-less.").size() == 1);
  EXPECT_TRUE(Codes(kDiplomacy, "", "The embassyman left.").empty());
  EXPECT_TRUE(Codes(kDiplomacy, "", "Bigembassy closed.").empty());
  EXPECT_EQ(Codes(kDiplomacy, "", "Diplomatic sources said so.").size(), 1U);
  EXPECT_EQ(Codes(kDiplomacy, "", "Two diplomats left.").size(), 1U);
  EXPECT_TRUE(Codes(kDiplomacy, "", "Nondiplomatic sources.").empty());
}

TEST(TopicRulesTest, MatchingIgnoresCaseAccentsQuotesAndDashes) {
  const std::string yaml = R"(
rules:
  - id: maduro-talks
    topic: medtop:20000639
    any: ["Nicolás Maduro's envoy", "al-Assad"]
)";
  EXPECT_EQ(Codes(yaml, "", "NICOLAS MADURO\xE2\x80\x99S ENVOY arrived.").size(), 1U);
  EXPECT_EQ(Codes(yaml, "", "nicolas maduro's envoy arrived.").size(), 1U);
  EXPECT_EQ(Codes(yaml, "",
                  "Bashar al\xE2\x80\x91"
                  "Assad spoke.")
                .size(),
            1U);
  const auto rules = CompileOrFail(yaml);
  const Article article = MakeArticle("", "Then Nicol\xC3\xA1s Maduro\xE2\x80\x99s envoy came.");
  const auto tags = TagsOf(*rules, article);
  ASSERT_EQ(tags.size(), 1U);
  // Offsets and text point into the original, accents and typographic apostrophe included.
  EXPECT_EQ(tags[0].evidence[0].text, "Nicol\xC3\xA1s Maduro\xE2\x80\x99s envoy");
  EXPECT_EQ(tags[0].evidence[0].begin_offset, 5U);
}

TEST(TopicRulesTest, RegularExpressionsRunOnTheFoldedText) {
  const std::string yaml = R"(
rules:
  - id: ambassador
    topic: medtop:20000639
    any: ["re:ambassadors? (to|in) [a-z]+"]
)";
  EXPECT_EQ(Codes(yaml, "", "The Ambassador to Venezuela left.").size(), 1U);
  EXPECT_EQ(Codes(yaml, "", "Three ambassadors in Caracas met.").size(), 1U);
  EXPECT_TRUE(Codes(yaml, "", "The ambassador said nothing.").empty());
}

TEST(TopicRulesTest, AllGroupsMustEachMatch) {
  const std::string yaml = R"(
rules:
  - id: arms-sale
    topic: medtop:20000602
    all: [[missile, missiles, tank], [sale, sold, deliver*]]
)";
  EXPECT_EQ(Codes(yaml, "", "Russia delivered missiles to Caracas."),
            std::vector<std::string>{"medtop:20000602"});
  EXPECT_TRUE(Codes(yaml, "", "Russia tested missiles.").empty());
  EXPECT_TRUE(Codes(yaml, "", "Russia sold oil.").empty());
}

TEST(TopicRulesTest, NoneVetoesTheRule) {
  const std::string yaml = R"(
rules:
  - id: weapons
    topic: medtop:20000602
    any: [missile]
    none: ["video game"]
)";
  EXPECT_EQ(Codes(yaml, "", "A missile was fired.").size(), 1U);
  EXPECT_TRUE(Codes(yaml, "", "A missile in the new video game.").empty());
}

TEST(TopicRulesTest, MinCountAndMinDistinct) {
  const std::string counted = R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [goal, match, league]
    min_count: 3
)";
  EXPECT_TRUE(Codes(counted, "", "A goal in the match.").empty());
  EXPECT_EQ(Codes(counted, "", "A goal, a goal, a goal.").size(), 1U);
  const std::string distinct = R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [goal, match, league]
    min_distinct: 2
)";
  EXPECT_TRUE(Codes(distinct, "", "A goal, a goal, a goal.").empty());
  EXPECT_EQ(Codes(distinct, "", "A goal in the league.").size(), 1U);
}

TEST(TopicRulesTest, ScopeLimitsWhereARuleLooksAndTheLeadIsTheFirstParagraph) {
  const std::string title_only = R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [football]
    scope: [title]
)";
  EXPECT_EQ(Codes(title_only, "Football tonight", "Nothing here.").size(), 1U);
  EXPECT_TRUE(Codes(title_only, "Tonight", "Football tonight.").empty());
  const std::string lead_only = R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [football]
    scope: [lead]
)";
  EXPECT_EQ(Codes(lead_only, "", "Football first.\n\nThen more.").size(), 1U);
  EXPECT_TRUE(Codes(lead_only, "", "First.\n\nThen football.").empty());
}

TEST(TopicRulesTest, TitleAndLeadMatchesScoreHigherAndWeightMultiplies) {
  const std::string yaml = R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [football]
)";
  const auto rules = CompileOrFail(yaml);
  const double title = TagsOf(*rules, MakeArticle("Football", "x"))[0].score;
  const double lead = TagsOf(*rules, MakeArticle("x", "Football"))[0].score;
  const double body = TagsOf(*rules, MakeArticle("x", "x\n\nFootball"))[0].score;
  EXPECT_GT(title, lead);
  EXPECT_GT(lead, body);
  const auto heavy = CompileOrFail(R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [football]
    weight: 3
)");
  EXPECT_DOUBLE_EQ(TagsOf(*heavy, MakeArticle("x", "x\n\nFootball"))[0].score, title);
}

TEST(TopicRulesTest, RepeatsCountUpToALimitAndRulesOfOneTopicAddUp) {
  const auto rules = CompileOrFail(R"(
rules:
  - id: sport-a
    topic: medtop:15000000
    any: [football]
  - id: sport-b
    topic: medtop:15000000
    any: [league]
)");
  std::string body = "x";
  for (int i = 0; i < 10; ++i) body += "\n\nfootball";
  const auto ten = TagsOf(*rules, MakeArticle("x", body));
  const auto three = TagsOf(*rules, MakeArticle("x", "x\n\nfootball football football"));
  ASSERT_EQ(ten.size(), 1U);
  EXPECT_DOUBLE_EQ(ten[0].score, three[0].score);
  EXPECT_EQ(ten[0].evidence.size(), kMaxEvidencePerTag);
  const auto both = TagsOf(*rules, MakeArticle("x", "x\n\nfootball league"));
  ASSERT_EQ(both.size(), 1U);
  EXPECT_GT(both[0].score, TagsOf(*rules, MakeArticle("x", "x\n\nfootball"))[0].score);
  EXPECT_EQ(both[0].evidence.size(), 2U);
}

TEST(TopicRulesTest, TagsAreSortedByScore) {
  const auto rules = CompileOrFail(R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [football]
  - id: weapons
    topic: medtop:20000602
    any: [missile]
)");
  const auto tags = TagsOf(*rules, MakeArticle("Missile test", "x\n\nfootball"));
  EXPECT_THAT(CodesOf(tags), ElementsAre("medtop:20000602", "medtop:15000000"));
}

TEST(TopicRulesTest, EveryProblemIsListedWithFileLineAndColumn) {
  const std::string message = CompileError(R"(rules:
  - id: a
    topic: medtop:99999999
    any: [x]
  - id: a
    topic: medtop:15000000
    any: [y]
  - topic: medtop:15000000
    any: [z]
  - id: b
    topic: medtop:20000100
    any: [w]
  - id: c
    topic: medtop:15000000
    any: ["re:(unclosed"]
    colour: blue
  - id: d
    topic: medtop:15000000
    scope: [headline]
)");
  EXPECT_THAT(message, HasSubstr("rules.yaml:2:5: rule 'a': topic 'medtop:99999999' is not in "
                                 "the taxonomy"));
  EXPECT_THAT(message, HasSubstr("rules.yaml:5:5: duplicate rule id 'a' (first at "
                                 "rules.yaml:2:5)"));
  EXPECT_THAT(message, HasSubstr("rules.yaml:8:5: the rule has no 'id'"));
  EXPECT_THAT(message, HasSubstr("rules.yaml:10:5: rule 'b': topic medtop:20000100"));
  EXPECT_THAT(message, HasSubstr("retired"));
  EXPECT_THAT(message, HasSubstr("rules.yaml:16:5: unknown key 'colour'"));
  EXPECT_THAT(message, HasSubstr("rules.yaml:19:13: unknown scope 'headline'"));
  EXPECT_THAT(message, HasSubstr("rules.yaml:17:5: the rule needs patterns in 'any' or 'all'"));
}

TEST(TopicRulesTest, ARegexVectorscanRefusesIsNamed) {
  const std::string message = CompileError(R"(rules:
  - id: c
    topic: medtop:15000000
    any: [fine, "re:(unclosed"]
)");
  EXPECT_THAT(message, HasSubstr("rules.yaml:4:17: Vectorscan refuses the pattern"));
}

TEST(TopicRulesTest, YamlSyntaxErrorsHaveALocation) {
  EXPECT_THAT(CompileError("rules:\n  - id: [unclosed\n"), HasSubstr("rules.yaml:"));
  EXPECT_THAT(CompileError("rules: 3\n"), HasSubstr("a rule file is a mapping with a list"));
}

TEST(TopicRulesTest, ErrorsFromSeveralFilesAreListedTogether) {
  auto rules = TopicRules::Compile(
      {{"one.yaml", "rules:\n  - id: a\n    topic: nope\n    any: [x]\n"},
       {"two.yaml", "rules:\n  - id: b\n    topic: medtop:15000000\n    any: [\"\"]\n"}},
      TestTaxonomy());
  ASSERT_FALSE(rules.has_value());
  EXPECT_EQ(rules.error().stage, Stage::kConfig);
  EXPECT_THAT(rules.error().message, HasSubstr("one.yaml:2:5"));
  EXPECT_THAT(rules.error().message, HasSubstr("two.yaml:4:11"));
}

TEST(TopicRulesTest, SeveralRuleSetsCanBeUsedOnOneThread) {
  const auto first = CompileOrFail(kDiplomacy);
  const auto second = CompileOrFail(R"(
rules:
  - id: sport
    topic: medtop:15000000
    any: [football]
)");
  const Article article = MakeArticle("Football diplomats", "Embassy football.");
  for (int round = 0; round < 3; ++round) {
    EXPECT_THAT(CodesOf(TagsOf(*first, article)), ElementsAre("medtop:20000639"));
    EXPECT_THAT(CodesOf(TagsOf(*second, article)), ElementsAre("medtop:15000000"));
  }
}

}  // namespace
}  // namespace newswire::pipeline
