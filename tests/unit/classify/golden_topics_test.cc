// Golden tests of the shipped topic rules on the five samples, one story (Russia-Venezuela ties
// under US pressure) told five ways: every sample is about diplomacy (politics and government)
// and gets the conflict, military or energy codes its own text supports, each with evidence
// that points at the text.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/classify/shipped_data.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

constexpr char kDiplomacy[] = "medtop:20000639";
constexpr char kWeaponry[] = "medtop:20000602";
constexpr char kIntervention[] = "medtop:20000058";
constexpr char kOilAndGas[] = "medtop:20001243";
constexpr char kDrugTrafficking[] = "medtop:20000096";
constexpr char kSanction[] = "medtop:20000642";
constexpr char kPolitics[] = "medtop:11000000";

class GoldenTopicsTest : public ::testing::Test {
 protected:
  Article Classified(std::size_t sample_index) {
    return test_helpers::ClassifiedSample(samples_[sample_index]);
  }

  static const TopicTag* Find(const Article& article, const std::string& code) {
    const auto found = std::find_if(article.topics.begin(), article.topics.end(),
                                    [&](const TopicTag& tag) { return tag.code == code; });
    return found == article.topics.end() ? nullptr : &*found;
  }

  // The tag is there, scores, and every piece of its evidence is the text at its offsets.
  static void ExpectTagWithEvidence(const Article& article, const std::string& code) {
    const TopicTag* tag = Find(article, code);
    ASSERT_NE(tag, nullptr) << code;
    EXPECT_GT(tag->score, 0.0);
    EXPECT_EQ(tag->method, "rule");
    ASSERT_FALSE(tag->evidence.empty()) << code;
    for (const Evidence& evidence : tag->evidence) {
      const std::string& field = evidence.field == "title" ? article.title : article.body;
      ASSERT_LE(evidence.end_offset, field.size());
      EXPECT_EQ(field.substr(evidence.begin_offset, evidence.end_offset - evidence.begin_offset),
                evidence.text);
      EXPECT_FALSE(evidence.rule_id.empty());
    }
  }

  std::vector<test_helpers::Sample> samples_ = test_helpers::LoadSamples();
};

TEST_F(GoldenTopicsTest, EverySampleIsDiplomacyUnderPolitics) {
  for (std::size_t index = 0; index < samples_.size(); ++index) {
    SCOPED_TRACE(samples_[index].path.filename().string());
    const Article article = Classified(index);
    ExpectTagWithEvidence(article, kDiplomacy);
    const TopicTag* diplomacy = Find(article, kDiplomacy);
    ASSERT_NE(diplomacy, nullptr);
    EXPECT_EQ(diplomacy->ancestors.back(), kPolitics);
  }
}

TEST_F(GoldenTopicsTest, Sample000RussiaCannotArmVenezuela) {
  const Article article = Classified(0);
  ExpectTagWithEvidence(article, kWeaponry);      // "advanced air-defense systems"
  ExpectTagWithEvidence(article, kIntervention);  // "substantial armada mobilized"
  EXPECT_EQ(Find(article, kDrugTrafficking), nullptr);
}

TEST_F(GoldenTopicsTest, Sample001AlliesRetreatAsOilAndLoansDryUp) {
  const Article article = Classified(1);
  ExpectTagWithEvidence(article, kOilAndGas);  // oil tankers, oil production
  ExpectTagWithEvidence(article, kWeaponry);   // nuclear-capable bombers, missiles, radars
  ExpectTagWithEvidence(article, kSanction);   // "U.S. sanctions on Venezuela's oil sector"
}

TEST_F(GoldenTopicsTest, Sample002MilitaryAllianceInTheCaribbean) {
  const Article article = Classified(2);
  ExpectTagWithEvidence(article, kWeaponry);
  ExpectTagWithEvidence(article, kIntervention);
}

TEST_F(GoldenTopicsTest, Sample003EmbassyAndDrugBoats) {
  const Article article = Classified(3);
  ExpectTagWithEvidence(article, kWeaponry);
  ExpectTagWithEvidence(article, kDrugTrafficking);
  EXPECT_EQ(Find(article, kDiplomacy)->evidence.front().field, "title");  // "Embassy"
}

TEST_F(GoldenTopicsTest, Sample004ArmsDealsAndSanctions) {
  const Article article = Classified(4);
  ExpectTagWithEvidence(article, kWeaponry);
  ExpectTagWithEvidence(article, kSanction);
}

TEST_F(GoldenTopicsTest, AnUnrelatedSportsStoryGetsNoneOfTheseTags) {
  Article article;
  article.title = "Late goal sends United top of the league";
  article.body =
      "A stoppage-time header from the captain gave United a 2-1 win over City on Saturday, "
      "lifting them to the top of the Premier League table.\n\nThe manager praised his "
      "players' spirit after they came from behind in front of a sold-out crowd.";
  auto classified = Normalize(std::move(article)).and_then([](Article normalized) {
    return test_helpers::ShippedClassifier().Classify(std::move(normalized));
  });
  ASSERT_TRUE(classified.has_value());
  for (const char* code :
       {kDiplomacy, kWeaponry, kIntervention, kOilAndGas, kDrugTrafficking, kSanction}) {
    EXPECT_EQ(Find(*classified, code), nullptr) << code;
  }
}

}  // namespace
}  // namespace newswire::pipeline
