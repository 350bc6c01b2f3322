#include "daemon/pipeline/classify/taxonomy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace newswire::pipeline {
namespace {

constexpr std::string_view kFileName = "topics.tsv";

// One table line from its five columns.
std::string Row(std::string_view code, std::string_view parent, std::string_view retired,
                std::string_view label, std::string_view wikidata) {
  std::string row(code);
  for (const std::string_view column : {parent, retired, label, wikidata}) {
    row += '\t';
    row += column;
  }
  return row;
}

std::string Lines(std::initializer_list<std::string> lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

// A small part of the real tree; the child of 04000000 comes before its parent on purpose.
const std::string kGoodTable = Lines({
    "# A hand-written part of IPTC Media Topics.",
    Row("medtop:11000000", "", "", "politics and government", "Q7163"),
    Row("medtop:20000638", "medtop:11000000", "", "international relations", "Q166542"),
    Row("medtop:20000639", "medtop:20000638", "", "diplomacy", "Q1889"),
    Row("medtop:20000640", "medtop:20000639", "", "summit meeting", "Q1072326"),
    Row("medtop:20000647", "medtop:11000000", "retired", "political crisis", "Q3002772"),
    Row("medtop:20000209", "medtop:04000000", "", "products and services", "Q3958441"),
    Row("medtop:04000000", "", "", "economy, business and finance", ""),
});

// The error message of a table that must fail to parse, after checking the error's kind.
std::string ParseError(std::string_view tsv) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(tsv, kFileName);
  if (taxonomy.has_value()) {
    ADD_FAILURE() << "parsed a table that has errors";
    return "";
  }
  EXPECT_EQ(taxonomy.error().stage, Stage::kConfig);
  EXPECT_EQ(taxonomy.error().code, ErrorCode::kInvalidArgument);
  return taxonomy.error().message;
}

TEST(TaxonomyTest, FindsTopicsByFullAndBareCode) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(kGoodTable, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->size(), 7U);

  const MediaTopic* diplomacy = taxonomy->Find("medtop:20000639");
  ASSERT_NE(diplomacy, nullptr);
  EXPECT_EQ(diplomacy->code, "medtop:20000639");
  EXPECT_EQ(diplomacy->label, "diplomacy");
  EXPECT_EQ(diplomacy->parent, "medtop:20000638");
  EXPECT_FALSE(diplomacy->retired);
  EXPECT_EQ(diplomacy->wikidata, "Q1889");
  EXPECT_EQ(taxonomy->Find("20000639"), diplomacy);

  const MediaTopic* economy = taxonomy->Find("04000000");
  ASSERT_NE(economy, nullptr);
  EXPECT_EQ(economy->parent, "");
  EXPECT_EQ(economy->wikidata, "");
}

TEST(TaxonomyTest, FindsNothingForUnknownOrMalformedCodes) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(kGoodTable, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  for (const std::string_view code :
       {"medtop:99999999", "99999999", "", "medtop:", "medtop:2000063", "medtop:200006390",
        "subj:20000639", "medtop:2000063x", " 20000639", "MEDTOP:20000639"}) {
    EXPECT_EQ(taxonomy->Find(code), nullptr) << code;
  }
  EXPECT_EQ(Taxonomy().Find("medtop:20000639"), nullptr);
}

TEST(TaxonomyTest, MarksRetiredTopics) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(kGoodTable, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  const MediaTopic* crisis = taxonomy->Find("medtop:20000647");
  ASSERT_NE(crisis, nullptr);
  EXPECT_TRUE(crisis->retired);
  EXPECT_EQ(crisis->label, "political crisis");
}

TEST(TaxonomyTest, ListsAncestorsNearestFirst) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(kGoodTable, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->Ancestors("medtop:20000640"),
            (std::vector<std::string>{"medtop:20000639", "medtop:20000638", "medtop:11000000"}));
  EXPECT_EQ(taxonomy->Ancestors("20000209"), std::vector<std::string>{"medtop:04000000"});
  EXPECT_TRUE(taxonomy->Ancestors("medtop:11000000").empty());
  EXPECT_TRUE(taxonomy->Ancestors("medtop:99999999").empty());
}

TEST(TaxonomyTest, FindsTopLevel) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(kGoodTable, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->TopLevel("medtop:20000640"), "medtop:11000000");
  EXPECT_EQ(taxonomy->TopLevel("20000639"), "medtop:11000000");
  EXPECT_EQ(taxonomy->TopLevel("medtop:20000209"), "medtop:04000000");
  EXPECT_EQ(taxonomy->TopLevel("medtop:11000000"), "medtop:11000000");
  EXPECT_EQ(taxonomy->TopLevel("medtop:99999999"), "");
}

TEST(TaxonomyTest, IgnoresCommentsAndBlankLines) {
  const std::string table = Lines({
      "# IPTC Media Topics",
      "",
      "#\tlooks like columns but is a comment",
      Row("medtop:11000000", "", "", "politics and government", "Q7163"),
      "   ",
      "\t",
      Row("medtop:20000638", "medtop:11000000", "", "international relations", ""),
      "# the end",
  });
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(table, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->size(), 2U);
}

TEST(TaxonomyTest, ToleratesCrlfLineEndingsAndNoFinalNewline) {
  const std::string table =
      "# comment\r\n" + Row("medtop:11000000", "", "", "politics and government", "Q7163") +
      "\r\n\r\n" + Row("medtop:20000638", "medtop:11000000", "", "international", "Q1");
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(table, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  ASSERT_EQ(taxonomy->size(), 2U);
  EXPECT_EQ(taxonomy->Find("medtop:11000000")->wikidata, "Q7163");
  EXPECT_EQ(taxonomy->Find("medtop:20000638")->wikidata, "Q1");
}

TEST(TaxonomyTest, SkipsUtf8ByteOrderMark) {
  const std::string table =
      "\xEF\xBB\xBF# comment\n" + Row("medtop:11000000", "", "", "politics and government", "");
  const Result<Taxonomy> taxonomy = Taxonomy::Parse(table, kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->size(), 1U);
}

TEST(TaxonomyTest, AcceptsAnEmptyTable) {
  const Result<Taxonomy> taxonomy = Taxonomy::Parse("# nothing yet\n", kFileName);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->size(), 0U);
}

TEST(TaxonomyTest, ReportsTooFewColumnsAtTheLineEnd) {
  // "medtop:11000000\t\t\tpolitics" is 26 bytes, so the missing column would start at 27.
  EXPECT_EQ(ParseError("# header\nmedtop:11000000\t\t\tpolitics\n"),
            "topics.tsv:2:27: expected 5 tab-separated columns (code, parent, retired, label, "
            "wikidata), found 4");
}

TEST(TaxonomyTest, ReportsTooManyColumnsAtTheFirstExtraOne) {
  EXPECT_EQ(ParseError(Row("medtop:11000000", "", "", "politics", "Q7163") + "\textra\n"),
            "topics.tsv:1:34: expected 5 tab-separated columns (code, parent, retired, label, "
            "wikidata), found 6");
}

TEST(TaxonomyTest, ReportsMalformedCode) {
  EXPECT_EQ(ParseError(Row("medtop:1100000", "", "", "politics", "")),
            "topics.tsv:1:1: code \"medtop:1100000\" is not \"medtop:\" followed by 8 digits");
  EXPECT_EQ(ParseError(Row("11000000", "", "", "politics", "")),
            "topics.tsv:1:1: code \"11000000\" is not \"medtop:\" followed by 8 digits");
}

TEST(TaxonomyTest, ReportsMalformedParent) {
  EXPECT_EQ(ParseError(Row("medtop:20000638", "11000000", "", "international relations", "")),
            "topics.tsv:1:17: parent \"11000000\" is not \"medtop:\" followed by 8 digits");
}

TEST(TaxonomyTest, ReportsDuplicateCode) {
  EXPECT_EQ(ParseError(Lines({
                Row("medtop:11000000", "", "", "politics and government", ""),
                "# a comment between",
                Row("medtop:11000000", "", "", "politics again", ""),
            })),
            "topics.tsv:3:1: duplicate code medtop:11000000; it is first defined on line 1");
}

TEST(TaxonomyTest, ReportsEmptyLabel) {
  EXPECT_EQ(ParseError(Row("medtop:11000000", "", "", "", "Q7163")),
            "topics.tsv:1:19: empty label");
  EXPECT_EQ(ParseError(Row("medtop:11000000", "", "", "  ", "Q7163")),
            "topics.tsv:1:19: empty label");
}

TEST(TaxonomyTest, ReportsMalformedRetiredMarker) {
  EXPECT_EQ(ParseError(Row("medtop:11000000", "", "yes", "politics", "")),
            "topics.tsv:1:18: retired column is \"yes\"; it must be \"retired\" or empty");
}

TEST(TaxonomyTest, ReportsMalformedWikidataId) {
  EXPECT_EQ(ParseError(Row("medtop:11000000", "", "", "politics", "7163")),
            "topics.tsv:1:28: wikidata \"7163\" is not a Wikidata id (Q followed by digits) or "
            "empty");
}

TEST(TaxonomyTest, ReportsParentMissingFromTheFile) {
  EXPECT_EQ(ParseError(Lines({
                Row("medtop:11000000", "", "", "politics and government", ""),
                Row("medtop:20000638", "medtop:12000000", "", "international relations", ""),
            })),
            "topics.tsv:2:17: parent medtop:12000000 is not in the file");
}

TEST(TaxonomyTest, ReportsCycleInParentsOnce) {
  EXPECT_EQ(ParseError(Lines({
                Row("medtop:11000000", "", "", "politics and government", ""),
                Row("medtop:20000640", "medtop:20000639", "", "summit meeting", ""),
                Row("medtop:20000639", "medtop:20000638", "", "diplomacy", ""),
                Row("medtop:20000638", "medtop:20000640", "", "international relations", ""),
            })),
            "topics.tsv:2:17: parents form a cycle: medtop:20000640 -> medtop:20000639 -> "
            "medtop:20000638 -> medtop:20000640 (each followed by its parent)");
}

TEST(TaxonomyTest, ReportsTopicThatIsItsOwnParent) {
  EXPECT_EQ(ParseError(Row("medtop:11000000", "medtop:11000000", "", "politics", "")),
            "topics.tsv:1:17: parents form a cycle: medtop:11000000 -> medtop:11000000 (each "
            "followed by its parent)");
}

TEST(TaxonomyTest, ReportsEveryProblemTogetherInLineOrder) {
  const std::string table = Lines({
      "# several problems",
      Row("medtop:11000000", "", "", "politics and government", "Q7163"),
      Row("medtop:20000638", "medtop:12000000", "", "international relations", ""),
      Row("medtop:2000063", "medtop:11000000", "", "diplomacy", ""),
      Row("medtop:20000640", "medtop:20000640", "maybe", "", "x"),
      "medtop:20000641",
      Row("medtop:11000000", "", "", "politics and government", ""),
  });
  EXPECT_EQ(ParseError(table),
            "topics.tsv:3:17: parent medtop:12000000 is not in the file\n"
            "topics.tsv:4:1: code \"medtop:2000063\" is not \"medtop:\" followed by 8 digits\n"
            "topics.tsv:5:17: parents form a cycle: medtop:20000640 -> medtop:20000640 (each "
            "followed by its parent)\n"
            "topics.tsv:5:33: retired column is \"maybe\"; it must be \"retired\" or empty\n"
            "topics.tsv:5:39: empty label\n"
            "topics.tsv:5:40: wikidata \"x\" is not a Wikidata id (Q followed by digits) or empty\n"
            "topics.tsv:6:16: expected 5 tab-separated columns (code, parent, retired, label, "
            "wikidata), found 1\n"
            "topics.tsv:7:1: duplicate code medtop:11000000; it is first defined on line 2");
}

TEST(TaxonomyTest, LoadsTheShippedIptcFile) {
  const std::string path =
      std::string(NEWSWIRE_SOURCE_DIR) + "/config/taxonomy/iptc-mediatopics.tsv";
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "cannot open " << path;
  std::ostringstream contents;
  contents << file.rdbuf();

  const Result<Taxonomy> taxonomy = Taxonomy::Parse(contents.str(), path);
  ASSERT_TRUE(taxonomy.has_value()) << taxonomy.error().message;
  EXPECT_EQ(taxonomy->size(), 1392U);

  for (int top = 1; top <= 17; ++top) {
    const std::string code =
        "medtop:" + std::string(top < 10 ? "0" : "") + std::to_string(top) + "000000";
    const MediaTopic* topic = taxonomy->Find(code);
    ASSERT_NE(topic, nullptr) << code;
    EXPECT_EQ(topic->parent, "") << code;
    EXPECT_EQ(taxonomy->TopLevel(code), code);
  }

  const MediaTopic* diplomacy = taxonomy->Find("medtop:20000639");
  ASSERT_NE(diplomacy, nullptr);
  EXPECT_EQ(diplomacy->label, "diplomacy");
  EXPECT_EQ(taxonomy->TopLevel("medtop:20000639"), "medtop:11000000");

  const MediaTopic* sanction = taxonomy->Find("20000642");
  ASSERT_NE(sanction, nullptr);
  EXPECT_EQ(sanction->label, "economic sanction");

  const MediaTopic* oil_and_gas = taxonomy->Find("medtop:20001243");
  ASSERT_NE(oil_and_gas, nullptr);
  EXPECT_EQ(oil_and_gas->label, "oil and gas");
  const std::vector<std::string> ancestors = taxonomy->Ancestors("medtop:20001243");
  ASSERT_FALSE(ancestors.empty());
  EXPECT_EQ(ancestors.front(), oil_and_gas->parent);
  EXPECT_EQ(ancestors.back(), "medtop:04000000");
  EXPECT_EQ(taxonomy->TopLevel("medtop:20001243"), "medtop:04000000");

  // "political crisis", retired in the 2025-10-09 release.
  const MediaTopic* crisis = taxonomy->Find("medtop:20000647");
  ASSERT_NE(crisis, nullptr);
  EXPECT_TRUE(crisis->retired);
}

}  // namespace
}  // namespace newswire::pipeline
