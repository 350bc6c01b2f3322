// Golden tests of the five plain-text samples: what decode and normalize make of each, field by
// field, language included (every sample is English, which CLD2 must find with confidence).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Golden {
  std::string title{};
  std::string subtitle{};
  std::vector<Person> authors{};
  std::string publisher{};
  std::string published_time{};
  std::vector<std::string> sections{};
  std::string body_begins{};
  std::string body_ends{};
  std::size_t faq_pairs = 0;
  std::string language = "en";
};

Article Process(const test_helpers::Sample& sample) {
  auto decoded = DecodeText(test_helpers::SampleItem(sample));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  if (!decoded || decoded->size() != 1 || !decoded->front()) return {};
  auto article = Normalize(std::move(*decoded->front()));
  EXPECT_TRUE(article.has_value()) << article.error().Describe();
  return article ? std::move(*article) : Article{};
}

// Every non-blank line of the sample that is article text must be in the body (or be its title
// or subtitle): nothing of the article proper is lost.
void ExpectLinesKept(const Article& article, const std::string& bytes,
                     const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    ASSERT_NE(bytes.find(line), std::string::npos) << "not in the sample: " << line;
    EXPECT_THAT(article.body, HasSubstr(line));
  }
}

void ExpectMatches(const Article& article, const Golden& golden) {
  EXPECT_EQ(article.title, golden.title);
  EXPECT_EQ(article.flags.title_derived, golden.title.empty());
  EXPECT_EQ(article.subtitle, golden.subtitle);
  ASSERT_EQ(article.authors.size(), golden.authors.size());
  for (std::size_t index = 0; index < golden.authors.size(); ++index) {
    EXPECT_EQ(article.authors[index].name, golden.authors[index].name);
    EXPECT_EQ(article.authors[index].role, golden.authors[index].role);
  }
  EXPECT_EQ(article.publisher, golden.publisher);
  EXPECT_EQ(article.published_time, golden.published_time);
  EXPECT_EQ(article.sections, golden.sections);
  EXPECT_THAT(article.body, StartsWith(golden.body_begins));
  EXPECT_THAT(article.body, EndsWith(golden.body_ends));
  EXPECT_EQ(article.language, golden.language);
  EXPECT_GE(article.language_confidence, 0.9);
  EXPECT_EQ(article.provenance.at("language"), "heuristic");
  EXPECT_EQ(article.faq.size(), golden.faq_pairs);
  EXPECT_EQ(article.flags.faq, golden.faq_pairs > 0);
  EXPECT_FALSE(article.flags.paywall);
  EXPECT_FALSE(article.flags.truncated);
  // No furniture and no raw JSON anywhere in the body.
  for (const char* furniture :
       {"Full Transcript", "You may also like", "Leave a Comment", "Akismet", "Adblock",
        "Discover more from", "Subscribe to get", "in the comments below", "@context", "\n{",
        "0 comments", "\xC2\xBB"}) {
    EXPECT_THAT(article.body, Not(HasSubstr(furniture)));
  }
}

class GoldenSamplesTest : public ::testing::Test {
 protected:
  std::vector<test_helpers::Sample> samples_ = test_helpers::LoadSamples();
};

TEST_F(GoldenSamplesTest, Sample000DropsTheTranscriptLabel) {
  ASSERT_EQ(samples_.size(), 5U);
  const Article article = Process(samples_[0]);
  ExpectMatches(article,
                {.title = "Russia's Diminishing Support for Venezuela Amid Ukraine Conflict",
                 .body_begins = "Nicolas Maduro, the Venezuelan president, recently",
                 .body_ends = "he may find himself largely unsupported as the "
                              "situation evolves."});
  EXPECT_EQ(article.stats.paragraphs, 7U);
  EXPECT_EQ(article.stats.boilerplate_characters, 15U);  // "Full Transcript"
  EXPECT_EQ(article.provenance.at("title"), "text");
  // Written without accents, kept without accents.
  EXPECT_THAT(article.body, HasSubstr("Nicolas Maduro"));
  EXPECT_THAT(article.body, HasSubstr("Hugo Chavez's presidency"));
}

TEST_F(GoldenSamplesTest, Sample001HasNoTitleLineAndKeepsItsAccents) {
  const Article article = Process(samples_[1]);
  // The dump starts with a paragraph: there is no title to take. The event's title is derived
  // from the first sentence, beside `title`, which stays empty.
  ExpectMatches(article, {.title = "",
                          .body_begins = "Venezuelan President Nicol\xC3\xA1s Maduro is "
                                         "experiencing a significant reduction",
                          .body_ends = "international support that remains available to "
                                       "Maduro."});
  EXPECT_EQ(article.stats.paragraphs, 10U);
  EXPECT_THAT(article.body, HasSubstr("\n\nEconomic Alliances and Faltering Support\n\n"));
  EXPECT_EQ(article.derived_title,
            "Venezuelan President Nicol\xC3\xA1s Maduro is experiencing a significant reduction "
            "in support from his traditional\xE2\x80\xA6");
  EXPECT_TRUE(article.flags.title_derived);
  EXPECT_EQ(article.provenance.at("title"), "first_sentence");
}

TEST_F(GoldenSamplesTest, Sample002TakesBreadcrumbBylineAndDropsTheCommentFurniture) {
  const Article article = Process(samples_[2]);
  ExpectMatches(
      article,
      {.title = "Maduro & Russia: Military Alliance vs. US in Caribbean?",
       .subtitle = "Venezuela Seeks Russian Military Aid Amid Rising U.S. Caribbean Presence",
       .authors = {{"James Carter", "Senior News Editor"}},
       .sections = {"world"},
       .body_begins = "A staggering $3.5 billion \xE2\x80\x93 that\xE2\x80\x99s the estimated",
       .body_ends = "a stark reminder that true security comes from within."});
  EXPECT_EQ(article.provenance.at("authors"), "byline");
  EXPECT_EQ(article.provenance.at("sections"), "heuristic");
  EXPECT_EQ(article.provenance.at("subtitle"), "heuristic");
  EXPECT_THAT(article.body, HasSubstr("Hugo Ch\xC3\xA1vez"));
  ExpectLinesKept(article, samples_[2].bytes,
                  {"The Appeal for Assistance: A Deep Dive",
                   "Will Russia Answer the Call? A Realistic Assessment"});
  EXPECT_GT(article.stats.boilerplate_characters, 300U);
}

TEST_F(GoldenSamplesTest, Sample003KeepsItsFaqAndCallouts) {
  const Article article = Process(samples_[3]);
  ExpectMatches(article,
                {.title = "Russia Denies Venezuela Embassy Evacuation Amid US Pressure",
                 .subtitle = "Russia and Venezuela: A Deepening Alliance Amidst US Pressure",
                 .authors = {{"", "Chief Editor"}},
                 .body_begins = "Recent denials from Russia\xE2\x80\x99s Foreign Ministry",
                 .body_ends = "exceeding those of Saudi Arabia.",
                 .faq_pairs = 4});
  ExpectLinesKept(article, samples_[3].bytes,
                  {"FAQ", "Q: Is Russia actually evacuating its embassy staff in Venezuela?",
                   "A: Russia denies reports of a full evacuation",
                   "Q: Could this situation escalate into a larger conflict?",
                   "\xE2\x80\xA2 Cyber Warfare: An increased risk of cyberattacks",
                   "Pro Tip: Keep a close watch"});
  EXPECT_EQ(article.faq[0].question,
            "Is Russia actually evacuating its embassy staff in Venezuela?");
  EXPECT_THAT(article.faq[0].answer, StartsWith("Russia denies reports of a full evacuation"));
  EXPECT_EQ(article.provenance.at("faq"), "heuristic");
  EXPECT_THAT(article.body, Not(HasSubstr("Explore more articles")));
}

TEST_F(GoldenSamplesTest, Sample004TakesItsMetadataFromTypographicJsonLd) {
  const Article article = Process(samples_[4]);
  ExpectMatches(article,
                {.title = "Russia\xE2\x80\x99s Deepening Venezuela Ties: A Harbinger of a New "
                          "Multipolar Arms Network?",
                 .authors = {{"Archyworldys Staff", ""}},
                 .publisher = "Archyworldys",
                 .published_time = "2024-02-29T10:06:26Z",
                 .body_begins = "In 2023, Russia supplied Venezuela with military equipment",
                 .body_ends = "The future of geopolitical stability may well depend on it.",
                 .faq_pairs = 4});
  EXPECT_EQ(article.modified_time, "2024-02-29T10:06:26Z");
  EXPECT_EQ(article.metadata.at("page_title"), "Venezuela & Russia: Military Aid Amid US Tensions");
  EXPECT_THAT(article.metadata.at("description"), StartsWith("Analysis of Russia"));
  for (const char* field :
       {"title", "authors", "publisher", "published_time", "modified_time", "description", "faq"}) {
    EXPECT_EQ(article.provenance.at(field), "json-ld") << field;
  }
  EXPECT_EQ(article.faq[3].question,
            "Will other Latin American countries follow Venezuela\xE2\x80\x99s lead?");
  EXPECT_THAT(article.faq[3].answer, EndsWith("perceive the U.S. as an unreliable ally."));
  // The table and the FAQ as written in the article stay in the body.
  ExpectLinesKept(article, samples_[4].bytes,
                  {"Year Russian Arms Exports to Venezuela (USD Billions)", "2018 0.8", "2023 1.1",
                   "Frequently Asked Questions About Russia-Venezuela Relations",
                   "What are the potential consequences for Venezuela?"});
  EXPECT_THAT(article.body, HasSubstr("2018 0.8\n\n2019 0.5\n\n2020 0.3\n\n2021 0.6\n\n2023 1.1"));
  EXPECT_THAT(article.body, Not(HasSubstr("NewsArticle")));
  EXPECT_THAT(article.body, Not(HasSubstr("Share your insights")));
  EXPECT_GT(article.stats.boilerplate_characters, 2000U);
}

}  // namespace
}  // namespace newswire::pipeline
