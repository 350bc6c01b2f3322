#include "daemon/pipeline/decode/html_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using test_helpers::FileItem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kParagraphOne =
    "The council voted on Tuesday to expand the city's tram network, adding three lines, twelve "
    "stations and a depot by the end of the decade.";
constexpr std::string_view kParagraphTwo =
    "Opponents said the plan, which costs 1.2 billion euros, would raise fares, while supporters "
    "argued that traffic in the centre had doubled since 2010.";
constexpr std::string_view kParagraphThree =
    "Construction starts next spring, according to the transport department, and the first line "
    "opens in 2027 if the budget holds.";

std::string ArticlePage() {
  return std::string(R"(<!DOCTYPE html><html lang="en-GB"><head>
<meta charset="utf-8"><title>Trams | City News</title>
<meta property="og:title" content="City expands tram network">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T10:15:00Z">
<link rel="canonical" href="https://news.example/trams">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
 "headline":"JSON-LD headline","author":[{"@type":"Person","name":"John Roe"}],
 "publisher":{"@type":"Organization","name":"City News"},"keywords":"trams, transport"}</script>
<style>p { color: red }</style><script>var tracking = "do not extract me";</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/politics">Politics</a></nav></header>
<div class="layout"><main><article>
<h1>City expands tram network</h1>
<time datetime="2024-03-05T10:15:00+01:00">5 March</time>
<p>)") + std::string(kParagraphOne) +
         "</p>\n<p>" + std::string(kParagraphTwo) + R"(</p>
<div class="share-buttons"><a href="#">Share on social media</a></div>
<ul><li>Three new lines, across the river</li><li>Twelve stations, with lifts</li></ul>
<table><tr><th>Line</th><th>Opens</th></tr><tr><td>T4</td><td>2027</td></tr></table>
<p>)" + std::string(kParagraphThree) +
         R"(</p>
<div class="related-articles"><ul><li><a href="/a">Bus fares rise again next year</a></li>
<li><a href="/b">Bridge closed for repairs</a></li></ul></div>
</article></main>
<aside class="sidebar"><p>Most read: a sidebar story that is not part of the article at all.</p></aside>
<div id="comments"><p>Great news, finally some investment, said a reader in the comments.</p></div>
</div><footer><p>Copyright City News, all rights reserved, 2024.</p></footer></body></html>)";
}

Result<std::vector<Result<Article>>> Decode(std::string html) {
  const RawArticle raw = FileItem(html, "/var/inbox/a.html");
  return DecodeHtml(raw, html);
}

Article DecodeOne(std::string html) {
  auto decoded = Decode(std::move(html));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  if (!decoded || decoded->size() != 1U || !decoded->front()) return {};
  return std::move(*decoded->front());
}

// Some CMSs write paragraphs as bare text separated by <br> and empty divs, without <p>.
TEST(HtmlDecoderTest, FindsParagraphsThatAreBareTextInADiv) {
  const Article article = DecodeOne(
      "<html><body><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a></nav>"
      "<div class=\"story\"><h1>Tram plan</h1><div class=\"body\">" +
      std::string(kParagraphOne) + "<div class=\"spacer\"></div>" + std::string(kParagraphTwo) +
      "<br><div class=\"spacer\"></div></div></div><footer>Copyright</footer></body></html>");
  EXPECT_EQ(article.body, std::string(kParagraphOne) + "\n\n" + std::string(kParagraphTwo));
}

TEST(HtmlDecoderTest, KeepsArticleParagraphsListsAndTablesInOrder) {
  const Article article = DecodeOne(ArticlePage());
  EXPECT_EQ(article.format, "html");
  const std::string expected_start =
      std::string(kParagraphOne) + "\n\n" + std::string(kParagraphTwo) + "\n\n";
  EXPECT_EQ(article.body.substr(0, expected_start.size()), expected_start);
  EXPECT_THAT(article.body, HasSubstr("\n\nThree new lines, across the river\n\n"));
  EXPECT_THAT(article.body, HasSubstr("\n\nT4 2027\n\n"));
  EXPECT_THAT(article.body, HasSubstr(kParagraphThree));
  EXPECT_FALSE(article.body.ends_with("\n"));
}

TEST(HtmlDecoderTest, DropsNavigationScriptsCommentsAndRelatedLinks) {
  const Article article = DecodeOne(ArticlePage());
  for (const std::string_view furniture :
       {"Politics", "do not extract", "color: red", "Share on social", "Bus fares", "sidebar story",
        "Great news", "Copyright", "5 March"}) {
    EXPECT_THAT(article.body, Not(HasSubstr(furniture))) << furniture;
  }
  // The headline is the title, not the first body line.
  EXPECT_THAT(article.body, Not(HasSubstr("City expands tram network")));
  EXPECT_GT(article.stats.boilerplate_characters, 100U);
}

TEST(HtmlDecoderTest, ReadsMetadataWithProvenance) {
  const Article article = DecodeOne(ArticlePage());
  EXPECT_EQ(article.title, "City expands tram network");
  EXPECT_EQ(article.provenance.at("title"), "meta");
  EXPECT_EQ(article.language, "en-GB");
  EXPECT_EQ(article.canonical_url, "https://news.example/trams");
  EXPECT_EQ(article.published_time, "2024-03-05T10:15:00Z");
  EXPECT_EQ(article.provenance.at("published_time"), "meta");
  ASSERT_EQ(article.authors.size(), 1U);
  EXPECT_EQ(article.authors[0].name, "Jane Doe");
  EXPECT_EQ(article.provenance.at("authors"), "meta");
  EXPECT_EQ(article.publisher, "City News");
  EXPECT_EQ(article.provenance.at("publisher"), "json-ld");
  EXPECT_EQ(article.keywords, (std::vector<std::string>{"trams", "transport"}));
  EXPECT_EQ(article.provenance.at("body"), "heuristic");
}

TEST(HtmlDecoderTest, FallsBackToJsonLdThenTitleAndTimeElement) {
  const Article article = DecodeOne(std::string(R"(<html><head><title>Page title</title>
<script type="application/ld+json">[{"@type":"WebSite"},{"@graph":[{"@type":["NewsArticle"],
"headline":"From JSON-LD","author":{"name":"Ann Author"}}]}]</script></head>
<body><article><time datetime="2024-01-02T03:04">x</time><p>)") +
                                    std::string(kParagraphOne) + "</p></article></body></html>");
  EXPECT_EQ(article.title, "From JSON-LD");
  EXPECT_EQ(article.provenance.at("title"), "json-ld");
  ASSERT_EQ(article.authors.size(), 1U);
  EXPECT_EQ(article.authors[0].name, "Ann Author");
  EXPECT_EQ(article.provenance.at("authors"), "json-ld");
  // No zone given: read as UTC, the one rule every format shares (markup_text.h NormalizeDate).
  EXPECT_EQ(article.published_time, "2024-01-02T03:04:00Z");
}

// A page whose article holds `paragraphs`, each a <p>, under a headline; no declared authors.
std::string PageOfParagraphs(const std::vector<std::string>& paragraphs) {
  std::string page =
      "<html><head><title>City expands tram network</title></head><body><article>"
      "<h1>City expands tram network</h1>";
  for (const std::string& paragraph : paragraphs) page += "<p>" + paragraph + "</p>\n";
  return page + "</article></body></html>";
}

std::string JoinedBody(const std::vector<std::string_view>& paragraphs) {
  std::string body;
  for (const std::string_view paragraph : paragraphs) {
    if (!body.empty()) body += "\n\n";
    body += paragraph;
  }
  return body;
}

TEST(HtmlDecoderTest, AnUnmarkedBylineAtTheHeadGivesTheAuthors) {
  const Article article = DecodeOne(
      PageOfParagraphs({"By Jane Smith", std::string(kParagraphOne), std::string(kParagraphTwo)}));
  ASSERT_EQ(article.authors.size(), 1U);
  EXPECT_EQ(article.authors[0].name, "Jane Smith");
  EXPECT_EQ(article.authors[0].role, "");
  EXPECT_EQ(article.provenance.at("authors"), "byline");
  EXPECT_EQ(article.body, JoinedBody({kParagraphOne, kParagraphTwo}));

  // The second block, after a standfirst, counts as the head too; an agency after the last
  // comma is no author.
  const Article second = DecodeOne(PageOfParagraphs(
      {"Three lines and twelve stations by 2030", "By Jane Smith and John Roe, Reuters",
       std::string(kParagraphOne), std::string(kParagraphTwo)}));
  ASSERT_EQ(second.authors.size(), 2U);
  EXPECT_EQ(second.authors[0].name, "Jane Smith");
  EXPECT_EQ(second.authors[1].name, "John Roe");
  EXPECT_EQ(second.body,
            JoinedBody({"Three lines and twelve stations by 2030", kParagraphOne, kParagraphTwo}));
}

TEST(HtmlDecoderTest, AnUnmarkedBylineAtTheFootGivesTheAuthors) {
  const Article article = DecodeOne(PageOfParagraphs(
      {std::string(kParagraphOne), std::string(kParagraphTwo), std::string(kParagraphThree),
       "By Ana de la Cruz, Foreign Correspondent", "Share this article"}));
  ASSERT_EQ(article.authors.size(), 1U);
  EXPECT_EQ(article.authors[0].name, "Ana de la Cruz");
  EXPECT_EQ(article.authors[0].role, "Foreign Correspondent");
  EXPECT_EQ(article.provenance.at("authors"), "byline");
  EXPECT_EQ(article.body, JoinedBody({kParagraphOne, kParagraphTwo, kParagraphThree}));
}

TEST(HtmlDecoderTest, DeclaredAuthorsWinButTheBylineStillLeavesTheBody) {
  std::string page = PageOfParagraphs({"By Jane Smith", std::string(kParagraphOne)});
  page.insert(page.find("</head>"), R"(<meta name="author" content="Jane Q. Smith">)");
  const Article article = DecodeOne(page);
  ASSERT_EQ(article.authors.size(), 1U);
  EXPECT_EQ(article.authors[0].name, "Jane Q. Smith");
  EXPECT_EQ(article.provenance.at("authors"), "meta");
  EXPECT_EQ(article.body, kParagraphOne);
}

TEST(HtmlDecoderTest, ByParagraphsThatAreNotBylinesStay) {
  const std::vector<std::string> texts = {
      "By Tuesday the river had risen above the old stone bridge",
      "By Tuesday the river had risen.",
      "By the end of the week, officials said",
      "By 2030 the network will have three more lines",
      "By Tuesday",
  };
  for (const std::string& text : texts) {
    for (const bool at_head : {true, false}) {
      const std::vector<std::string> paragraphs =
          at_head ? std::vector<std::string>{text, std::string(kParagraphOne)}
                  : std::vector<std::string>{std::string(kParagraphOne), text};
      const Article article = DecodeOne(PageOfParagraphs(paragraphs));
      EXPECT_TRUE(article.authors.empty()) << text;
      EXPECT_THAT(article.body, HasSubstr(text)) << text;
    }
  }
  // A byline in the middle of the text is article text (a quoted credit, a list), not the page's
  // byline.
  const Article middle =
      DecodeOne(PageOfParagraphs({std::string(kParagraphOne), std::string(kParagraphTwo),
                                  "By Jane Smith", std::string(kParagraphThree)}));
  EXPECT_TRUE(middle.authors.empty());
  EXPECT_THAT(middle.body, HasSubstr("\n\nBy Jane Smith\n\n"));
}

TEST(HtmlDecoderTest, EmptyOrTextlessPagesAreErrors) {
  EXPECT_EQ(Decode("  \n").error().code, ErrorCode::kEmptyInput);
  EXPECT_EQ(Decode("<html><body><nav>Home</nav><script>x()</script></body></html>").error().code,
            ErrorCode::kEmptyInput);
}

TEST(HtmlDecoderTest, TruncatedHtmlStillYieldsTheText) {
  std::string page = ArticlePage();
  page.resize(page.find(kParagraphTwo) + 40);
  const Article article = DecodeOne(page);
  EXPECT_THAT(article.body, HasSubstr(kParagraphOne));
  EXPECT_THAT(article.body, HasSubstr(kParagraphTwo.substr(0, 40)));
}

TEST(HtmlDecoderTest, TenThousandDeepNestingIsBoundedAndKeepsText) {
  std::string page = "<html><body>";
  for (int i = 0; i < 10'000; ++i) page += "<div>";
  page += "<p>" + std::string(kParagraphOne) + "</p>";
  for (int i = 0; i < 10'000; ++i) page += "</div>";
  page += "</body></html>";
  const auto start = std::chrono::steady_clock::now();
  const Article article = DecodeOne(page);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_THAT(article.body, HasSubstr(kParagraphOne));
  EXPECT_EQ(article.metadata.at("html_nesting_limited"), "true");
}

TEST(HtmlDecoderTest, DeepFormattingElementsAndJsonLdDoNotCrash) {
  std::string page = "<html><head><script type=\"application/ld+json\">";
  page += std::string(100'000, '[');
  page += "</script></head><body><p>";
  for (int i = 0; i < 10'000; ++i) page += "<b><i>";
  page += std::string(kParagraphOne) + "</p></body></html>";
  const Article article = DecodeOne(page);
  EXPECT_THAT(article.body, HasSubstr(kParagraphOne));
}

TEST(HtmlDecoderTest, FiftyMegabytesOfOneLineIsRefused) {
  std::string page = "<html><body><p>";
  page.append(50U << 20U, 'a');
  const auto decoded = Decode(std::move(page));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kTooLarge);
}

TEST(HtmlDecoderTest, LongSingleLineWithinTheLimitIsParsed) {
  std::string page = "<html><body><p>";
  for (int i = 0; i < 100'000; ++i) page += "word, ";
  page += "</p></body></html>";
  const Article article = DecodeOne(page);
  EXPECT_GT(article.body.size(), 500'000U);
  EXPECT_EQ(article.body.find('\n'), std::string::npos);
}

TEST(HtmlDecoderTest, NulBytesAndInvalidUtf8AreNotPassedOn) {
  std::string page = ArticlePage();
  page.insert(page.find(kParagraphOne) + 4, std::string("\0\0", 2));
  page.insert(page.find(kParagraphTwo) + 4, "\xFF\xC0");
  const Article article = DecodeOne(page);
  EXPECT_EQ(article.body.find('\0'), std::string::npos);
  EXPECT_EQ(article.body.find('\xFF'), std::string::npos);
  EXPECT_THAT(article.body, HasSubstr("\xEF\xBF\xBD"));  // U+FFFD
  EXPECT_GE(article.stats.replaced_sequences, 1U);
}

}  // namespace
}  // namespace newswire::pipeline
