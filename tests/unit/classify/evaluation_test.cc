#include "daemon/pipeline/classify/evaluation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace newswire::pipeline {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kTaxonomy =
    "medtop:04000000\t\t\teconomy, business and finance\t\n"
    "medtop:11000000\t\t\tpolitics and government\t\n"
    "medtop:20000638\tmedtop:11000000\t\tinternational relations\t\n"
    "medtop:15000000\t\t\tsport\t\n";

const Taxonomy& TestTaxonomy() {
  static const Taxonomy taxonomy = *Taxonomy::Parse(kTaxonomy, "test.tsv");
  return taxonomy;
}

TEST(LabelledTsvTest, ReadsQuotedMultilineFieldsByHeaderName) {
  const auto articles = ParseLabelledTsv(
      "category\theadline\ttext\turl\n"
      "business\tShares fall\t\"Markets fell.\nA \"\"bad\"\" day.\"\thttp://x\n"
      "sports\tWin\tOne line.\thttp://y\n",
      "data.tsv");
  ASSERT_TRUE(articles.has_value()) << articles.error().message;
  ASSERT_EQ(articles->size(), 2U);
  EXPECT_EQ((*articles)[0].label, "business");
  EXPECT_EQ((*articles)[0].headline, "Shares fall");
  EXPECT_EQ((*articles)[0].text, "Markets fell.\nA \"bad\" day.");
  EXPECT_EQ((*articles)[0].line, 2U);
  EXPECT_EQ((*articles)[1].label, "sports");
  EXPECT_EQ((*articles)[1].line, 4U);
}

TEST(LabelledTsvTest, ColumnsMayComeInAnyOrderAndCrlfIsFine) {
  const auto articles =
      ParseLabelledTsv("text\tcategory\theadline\r\nBody.\tpolitics\tTitle\r\n", "data.tsv");
  ASSERT_TRUE(articles.has_value());
  EXPECT_EQ((*articles)[0].label, "politics");
  EXPECT_EQ((*articles)[0].text, "Body.");
}

TEST(LabelledTsvTest, ProblemsNameFileAndLine) {
  EXPECT_THAT(ParseLabelledTsv("label\ttext\n", "d.tsv").error().message,
              HasSubstr("d.tsv:1: the header must name the columns category, headline and text"));
  EXPECT_THAT(ParseLabelledTsv("category\theadline\ttext\nx\ty\n", "d.tsv").error().message,
              HasSubstr("d.tsv:2: 2 fields, the header has 3"));
  EXPECT_THAT(ParseLabelledTsv("category\theadline\ttext\nx\ty\t\"open\n", "d.tsv").error().message,
              HasSubstr("d.tsv:2: a quoted field is never closed"));
}

TEST(LabelMappingTest, MapsLabelsToKnownCodes) {
  const auto mapping = ParseLabelMapping(
      "labels:\n  business: medtop:04000000\n  politics: 11000000\n", "l.yaml", TestTaxonomy());
  ASSERT_TRUE(mapping.has_value()) << mapping.error().message;
  EXPECT_EQ(mapping->at("business"), "medtop:04000000");
  EXPECT_EQ(mapping->at("politics"), "medtop:11000000");
}

TEST(LabelMappingTest, UnknownCodesAreListedWithTheirPlace) {
  const auto mapping =
      ParseLabelMapping("labels:\n  a: medtop:99999999\n  b: nonsense\n", "l.yaml", TestTaxonomy());
  ASSERT_FALSE(mapping.has_value());
  EXPECT_THAT(mapping.error().message, HasSubstr("l.yaml:2:6: label 'a'"));
  EXPECT_THAT(mapping.error().message, HasSubstr("l.yaml:3:6: label 'b'"));
}

TopicTag Tag(std::string code, double score, std::vector<std::string> ancestors = {}) {
  TopicTag tag;
  tag.code = std::move(code);
  tag.score = score;
  tag.ancestors = std::move(ancestors);
  return tag;
}

TEST(PredictClassTest, TheBestScoringTagUnderAClassWins) {
  const std::vector<std::string> classes = {"medtop:04000000", "medtop:11000000"};
  EXPECT_EQ(
      PredictClass({Tag("medtop:04000000", 0.4), Tag("medtop:20000638", 0.7, {"medtop:11000000"})},
                   classes),
      "medtop:11000000");
  // A tag outside every class is ignored; no tag under a class is no prediction.
  EXPECT_EQ(PredictClass({Tag("medtop:15000000", 0.9), Tag("medtop:04000000", 0.2)}, classes),
            "medtop:04000000");
  EXPECT_EQ(PredictClass({Tag("medtop:15000000", 0.9)}, classes), "");
  EXPECT_EQ(PredictClass({}, classes), "");
}

TEST(ClassificationReportTest, PrecisionRecallF1AndMacroAverage) {
  ClassificationReport report({"a", "b"});
  // a: 3 expected, 2 right, 1 predicted b; b: 2 expected, 1 right, 1 no prediction.
  report.Add("a", "a");
  report.Add("a", "a");
  report.Add("a", "b");
  report.Add("b", "b");
  report.Add("b", "");
  const auto a = report.Scores("a");
  EXPECT_DOUBLE_EQ(a.precision, 1.0);
  EXPECT_DOUBLE_EQ(a.recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(a.f1, 0.8);
  EXPECT_EQ(a.support, 3U);
  const auto b = report.Scores("b");
  EXPECT_DOUBLE_EQ(b.precision, 0.5);
  EXPECT_DOUBLE_EQ(b.recall, 0.5);
  EXPECT_DOUBLE_EQ(b.f1, 0.5);
  EXPECT_DOUBLE_EQ(report.MacroF1(), 0.65);
  EXPECT_DOUBLE_EQ(report.Accuracy(), 0.6);
  const std::string table = report.Render({{"a", "alpha"}});
  EXPECT_THAT(table, HasSubstr("alpha"));
  EXPECT_THAT(table, HasSubstr("macro average"));
  EXPECT_THAT(table, HasSubstr("none"));
}

}  // namespace
}  // namespace newswire::pipeline
