// The line rules of the text decoder, on lines of the kind plain-text dumps hold (not only the
// samples' lines), and their effect on whole dumps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "daemon/pipeline/decode/text_decoder.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Article DecodeOne(std::string bytes) {
  auto decoded = DecodeText(test_helpers::FileItem(std::move(bytes)));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  if (!decoded || decoded->size() != 1U || !decoded->front()) return {};
  return std::move(*decoded->front());
}

const std::string kProse =
    "The council approved the budget on Tuesday after a long debate about school funding.";

TEST(TextFurnitureTest, ClassifiesLabelsTrailersPaywallsAndTeasers) {
  for (const char* label : {"Full Transcript", "ADVERTISEMENT", "Advertisement:", "12 Comments",
                            "0 comments", "Skip to content"}) {
    EXPECT_EQ(ClassifyFurniture(label), Furniture::kLabel) << label;
  }
  for (const char* trailer :
       {"You may also like", "Leave a Reply", "Related Articles", "Discover more from The Daily",
        "Subscribe to our newsletter", "This site uses Akismet to reduce spam.",
        "Ad Blocker Detected", "Tell us what you think and share your thoughts below",
        "What do you think? Let us know in the comments!", "Follow us on Twitter"}) {
    EXPECT_EQ(ClassifyFurniture(trailer), Furniture::kTrailer) << trailer;
  }
  EXPECT_EQ(ClassifyFurniture("This article is for subscribers only."), Furniture::kPaywall);
  EXPECT_EQ(ClassifyFurniture("Already a subscriber? Log in"), Furniture::kPaywall);
  EXPECT_EQ(ClassifyFurniture("Read more"), Furniture::kTeaser);
  EXPECT_EQ(ClassifyFurniture("[\xE2\x80\xA6]"), Furniture::kTeaser);
  for (const std::string_view text :
       {std::string_view(kProse), std::string_view("Transcripts of the hearing were released."),
        std::string_view("Comments aside, the plan works.")}) {
    EXPECT_EQ(ClassifyFurniture(text), Furniture::kNone) << text;
  }
}

TEST(TextFurnitureTest, ParsesBreadcrumbs) {
  EXPECT_THAT(ParseBreadcrumb("Home \xC2\xBB World \xC2\xBB Europe"),
              ElementsAre("Home", "World", "Europe"));
  EXPECT_THAT(ParseBreadcrumb("News > Politics > Budget vote"),
              ElementsAre("News", "Politics", "Budget vote"));
  EXPECT_TRUE(ParseBreadcrumb("Either/or: a > b").empty());
  EXPECT_TRUE(ParseBreadcrumb("Er sagte \xC2\xBBNein\xC2\xAB").empty());
  EXPECT_TRUE(ParseBreadcrumb(kProse).empty());
}

TEST(TextFurnitureTest, ParsesBylines) {
  auto carter = ParseByline("by James Carter Senior News Editor");
  ASSERT_TRUE(carter.has_value());
  ASSERT_EQ(carter->size(), 1U);
  EXPECT_EQ((*carter)[0].name, "James Carter");
  EXPECT_EQ((*carter)[0].role, "Senior News Editor");

  auto chief = ParseByline("By Chief Editor");
  ASSERT_TRUE(chief.has_value());
  EXPECT_EQ((*chief)[0].name, "");
  EXPECT_EQ((*chief)[0].role, "Chief Editor");

  auto two = ParseByline("By Ana de la Cruz, Foreign Correspondent, and Bo Li");
  ASSERT_TRUE(two.has_value());
  ASSERT_EQ(two->size(), 2U);
  EXPECT_EQ((*two)[0].name, "Ana de la Cruz");
  EXPECT_EQ((*two)[0].role, "Foreign Correspondent");
  EXPECT_EQ((*two)[1].name, "Bo Li");
  EXPECT_EQ((*two)[1].role, "");

  auto accented = ParseByline("by \xC3\x89lise Dupr\xC3\xA9");
  ASSERT_TRUE(accented.has_value());
  EXPECT_EQ((*accented)[0].name, "\xC3\x89lise Dupr\xC3\xA9");

  EXPECT_FALSE(ParseByline("by the way, nobody came").has_value());
  EXPECT_FALSE(ParseByline("Bylines are short.").has_value());
  EXPECT_FALSE(ParseByline(kProse).has_value());
}

TEST(TextFurnitureTest, AnAgencyAfterTheLastCommaIsNoAuthor) {
  auto agency = ParseByline("By Jane Smith and John Roe, Reuters");
  ASSERT_TRUE(agency.has_value());
  ASSERT_EQ(agency->size(), 2U);
  EXPECT_EQ((*agency)[0].name, "Jane Smith");
  EXPECT_EQ((*agency)[1].name, "John Roe");
  auto place = ParseByline("By Ann Lee, London");
  ASSERT_TRUE(place.has_value());
  ASSERT_EQ(place->size(), 1U);
  EXPECT_EQ((*place)[0].name, "Ann Lee");
  // Two names after a comma are two people.
  auto two = ParseByline("By Ann Lee, Bo Li");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->size(), 2U);
}

TEST(TextFurnitureTest, SentencesStartingWithByAreNoBylines) {
  for (const char* sentence : {
           "By Tuesday the river had risen",
           "By Tuesday the river had risen.",
           "By Tuesday",
           "By March, prices had doubled",
           "By the end of the week officials had left",
           "By 2030 the city will have three more lines",
           "By then nobody was listening",
           "By Monday Morning the Queue Was Gone Again And Again",
       }) {
    EXPECT_FALSE(ParseByline(sentence).has_value()) << sentence;
  }
}

TEST(TextFurnitureTest, AGenericDumpLosesItsFurnitureAndKeepsItsText) {
  const Article article = DecodeOne(
      "News \xE2\x80\xBA Local \xE2\x80\xBA Budget passes\n\nBudget passes\nAdvertisement\n"
      "By Ann Lee and Bo Li\n\n" +
      kProse + "\n" + kProse +
      " Share your thoughts in the comments below!\n\nRelated Posts\n"
      "Leave a Reply\n");
  EXPECT_EQ(article.title, "Budget passes");
  EXPECT_THAT(article.sections, ElementsAre("News", "Local"));
  ASSERT_EQ(article.authors.size(), 2U);
  EXPECT_EQ(article.authors[1].name, "Bo Li");
  EXPECT_EQ(article.body, kProse + "\n\n" + kProse);
  EXPECT_GT(article.stats.boilerplate_characters, 50U);
  EXPECT_EQ(article.provenance.at("title"), "text");
  EXPECT_EQ(article.provenance.at("authors"), "byline");
}

TEST(TextFurnitureTest, FlagsPaywallAndTruncation) {
  const Article paywalled = DecodeOne("Title\n" + kProse + "\nSubscribe now to read the rest.\n");
  EXPECT_TRUE(paywalled.flags.paywall);
  EXPECT_EQ(paywalled.body, kProse);
  const Article teaser = DecodeOne("Title\n" + kProse + "\nRead more\n");
  EXPECT_TRUE(teaser.flags.truncated);
  EXPECT_EQ(teaser.body, kProse);
  const Article cut = DecodeOne("Title\nThe council approved the budget on\xE2\x80\xA6\n");
  EXPECT_TRUE(cut.flags.truncated);
  EXPECT_FALSE(DecodeOne("Title\n" + kProse).flags.truncated);
}

TEST(TextFurnitureTest, JsonLdInAPlainDumpBecomesMetadata) {
  const Article article =
      DecodeOne("Page title\n" + kProse +
                "\n[{\"@context\": \"https://schema.org\", \"@type\": \"NewsArticle\",\n"
                " \"headline\": \"Budget passes\", \"author\": \"Ann Lee\",\n"
                " \"datePublished\": \"2024-05-01T09:00:00-04:00\"}]\n" +
                kProse + "\n");
  EXPECT_EQ(article.title, "Budget passes");
  EXPECT_EQ(article.metadata.at("page_title"), "Page title");
  EXPECT_EQ(article.published_time, "2024-05-01T13:00:00Z");
  ASSERT_EQ(article.authors.size(), 1U);
  EXPECT_EQ(article.authors[0].name, "Ann Lee");
  EXPECT_EQ(article.body, kProse + "\n\n" + kProse);
}

TEST(TextFurnitureTest, JsonThatIsNotJsonLdStaysText) {
  const Article article = DecodeOne("Title\n{\"a\": 1}\n{ unbalanced\n" + kProse);
  EXPECT_EQ(article.body, "{\"a\": 1}\n\n{ unbalanced\n\n" + kProse);
  EXPECT_EQ(article.stats.boilerplate_characters, 0U);
}

TEST(TextFurnitureTest, TextFaqPairsAreKeptAsDataAndText) {
  const Article article =
      DecodeOne("Title\n" + kProse + "\nQ: Why?\nA: Because.\nQ: Alone?\n" + kProse);
  ASSERT_EQ(article.faq.size(), 1U);
  EXPECT_EQ(article.faq[0].question, "Why?");
  EXPECT_EQ(article.faq[0].answer, "Because.");
  EXPECT_TRUE(article.flags.faq);
  EXPECT_THAT(article.body, HasSubstr("Q: Why?\n\nA: Because."));
  EXPECT_THAT(article.body, Not(HasSubstr("Title")));
}

}  // namespace
}  // namespace newswire::pipeline
