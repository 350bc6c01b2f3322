#include "daemon/pipeline/decode/feed_decoder.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "daemon/pipeline/decode/markup_text.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using test_helpers::FileItem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Result<std::vector<Result<Article>>> Feed(std::string text) {
  const RawArticle raw = FileItem(std::move(text), "/var/inbox/feed.xml");
  return DecodeFeed(raw, raw.bytes);
}

std::vector<Article> DecodeAll(std::string text) {
  auto decoded = Feed(std::move(text));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  std::vector<Article> articles;
  if (!decoded) return articles;
  for (auto& article : *decoded) {
    EXPECT_TRUE(article.has_value()) << article.error().Describe();
    if (article) articles.push_back(std::move(*article));
  }
  return articles;
}

Error OuterError(std::string text) {
  auto decoded = Feed(std::move(text));
  EXPECT_FALSE(decoded.has_value());
  if (decoded) return {};
  return decoded.error();
}

std::string Rss(std::string_view items) {
  return fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Example News</title><link>https://example.com/</link>
<language>en-us</language>{}</channel></rss>)",
      items);
}

constexpr std::string_view kRssItem = R"(
<item>
  <title>Markets &amp;amp; more</title>
  <link> https://example.com/markets </link>
  <guid isPermaLink="false">markets-1</guid>
  <author>jo@example.com (Jo Smith)</author>
  <dc:creator>Al Jones</dc:creator>
  <pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>
  <category>Business</category>
  <category>Markets</category>
  <description>&lt;p&gt;Short teaser&lt;/p&gt;</description>
  <content:encoded><![CDATA[<p>Stocks <b>rose</b>.</p><script>alert(1)</script><p>Bonds fell &mdash; a bit.</p>]]></content:encoded>
</item>)";

TEST(FeedDecoderTest, RssItemFields) {
  const auto articles = DecodeAll(Rss(kRssItem));
  ASSERT_EQ(articles.size(), 1U);
  const Article& article = articles[0];
  EXPECT_EQ(article.format, "rss");
  EXPECT_EQ(article.title, "Markets & more");
  EXPECT_EQ(article.url, "https://example.com/markets");
  EXPECT_EQ(article.metadata.at("guid"), "markets-1");
  ASSERT_EQ(article.authors.size(), 2U);
  EXPECT_EQ(article.authors[0].name, "Jo Smith");
  EXPECT_EQ(article.authors[1].name, "Al Jones");
  EXPECT_EQ(article.published_time, "2003-06-10T04:00:00Z");
  EXPECT_THAT(article.sections, ElementsAre("Business", "Markets"));
  EXPECT_THAT(article.body, HasSubstr("Stocks rose."));
  EXPECT_THAT(article.body, HasSubstr("Bonds fell \xE2\x80\x94 a bit."));
  EXPECT_THAT(article.body, Not(HasSubstr("alert")));
  EXPECT_THAT(article.body, Not(HasSubstr("teaser")));
  EXPECT_EQ(article.language, "en-us");
  EXPECT_EQ(article.metadata.at("feed_title"), "Example News");
  for (const char* field :
       {"title", "url", "authors", "published_time", "sections", "body", "language"}) {
    ASSERT_TRUE(article.provenance.contains(field)) << field;
    EXPECT_EQ(article.provenance.at(field), "feed") << field;
  }
}

TEST(FeedDecoderTest, RssDescriptionIsTheBodyWithoutContentEncoded) {
  const auto articles = DecodeAll(
      Rss("<item><title>T</title><description>&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two &amp;amp; "
          "three&lt;/p&gt;</description><pubDate>someday</pubDate></item>"));
  ASSERT_EQ(articles.size(), 1U);
  EXPECT_EQ(articles[0].body, "One\n\nTwo & three");
  EXPECT_EQ(articles[0].published_time, "");
  EXPECT_EQ(articles[0].metadata.at("published_raw"), "someday");
}

TEST(FeedDecoderTest, FurnitureInsideContentEncodedIsDroppedAndCounted) {
  const auto articles = DecodeAll(
      Rss("<item><title>T</title><content:encoded><![CDATA["
          "<div class=\"share-buttons\"><a href=\"#\">Share on X</a> <a href=\"#\">Email</a></div>"
          "<p>The council voted on Tuesday, after a long debate, to close the bridge.</p>"
          "<script>track('view')</script>"
          "<ul><li>First point made.</li><li>Second point made.</li></ul>"
          "<p>The post <a href=\"https://news.example/bridge\">Bridge closes</a> appeared first on "
          "<a href=\"https://news.example\">News Example</a>.</p>"
          "]]></content:encoded></item>"));
  ASSERT_EQ(articles.size(), 1U);
  EXPECT_EQ(articles[0].body,
            "The council voted on Tuesday, after a long debate, to close the bridge.\n\n"
            "First point made.\n\nSecond point made.");
  // "Share on X Email" and the "The post ... appeared first on ..." line.
  EXPECT_GE(articles[0].stats.boilerplate_characters, 16U + 50U);
}

TEST(FeedDecoderTest, AtomHtmlContentGoesThroughTheFragmentExtractor) {
  const auto articles = DecodeAll(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>T</title>"
      "<summary type=\"html\">&lt;p&gt;Teaser only.&lt;/p&gt;</summary>"
      "<content type=\"html\">&lt;p&gt;Full text, first part.&lt;/p&gt;&lt;aside&gt;Related "
      "stories&lt;/aside&gt;&lt;p&gt;Second part.&lt;/p&gt;</content></entry></feed>");
  ASSERT_EQ(articles.size(), 1U);
  EXPECT_EQ(articles[0].body, "Full text, first part.\n\nSecond part.");
  EXPECT_EQ(articles[0].stats.boilerplate_characters, 15U);
}

TEST(FeedDecoderTest, ItemWithoutTitleAndBodyIsAnInnerError) {
  auto decoded =
      Feed(Rss("<item><title>A</title></item><item><link>x</link></item>"
               "<item><description>only body</description></item>"));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().Describe();
  ASSERT_EQ(decoded->size(), 3U);
  EXPECT_TRUE((*decoded)[0].has_value());
  ASSERT_FALSE((*decoded)[1].has_value());
  EXPECT_EQ((*decoded)[1].error().code, ErrorCode::kEmptyInput);
  EXPECT_THAT((*decoded)[1].error().message, HasSubstr("item 1"));
  ASSERT_TRUE((*decoded)[2].has_value());
  EXPECT_EQ((*decoded)[2]->item_index, 2U);
}

TEST(FeedDecoderTest, Rss10ItemsBesideTheChannel) {
  const auto articles = DecodeAll(
      R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel><title>C</title></channel>
<item><title>One</title><dc:date>2003-06-10T04:00:00+01:00</dc:date></item></rdf:RDF>)");
  ASSERT_EQ(articles.size(), 1U);
  EXPECT_EQ(articles[0].title, "One");
  EXPECT_EQ(articles[0].published_time, "2003-06-10T03:00:00Z");
}

TEST(FeedDecoderTest, AtomEntryFields) {
  const auto articles = DecodeAll(R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Beispiel</title>
  <author><name>Feed Author</name></author>
  <entry>
    <title type="html">Wahl &lt;em&gt;heute&lt;/em&gt;</title>
    <link rel="self" href="https://example.com/self"/>
    <link rel="alternate" href="https://example.com/wahl"/>
    <id>urn:uuid:1225c695</id>
    <author><name>Eva Berg</name></author>
    <published>2003-12-13T18:30:02+01:00</published>
    <updated>2003-12-14T10:00:00Z</updated>
    <category term="politik"/>
    <summary>Kurz</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Erster</p><p>Zweiter &amp; letzter</p></div></content>
  </entry>
  <entry>
    <title>Zweiter Eintrag</title>
    <link href="https://example.com/2"/>
    <updated>2003-12-15T10:00:00Z</updated>
    <summary type="html">&lt;p&gt;Nur Zusammenfassung&lt;/p&gt;</summary>
  </entry>
</feed>)");
  ASSERT_EQ(articles.size(), 2U);
  const Article& first = articles[0];
  EXPECT_EQ(first.format, "atom");
  EXPECT_EQ(first.title, "Wahl heute");
  EXPECT_EQ(first.url, "https://example.com/wahl");
  EXPECT_EQ(first.metadata.at("guid"), "urn:uuid:1225c695");
  ASSERT_EQ(first.authors.size(), 1U);
  EXPECT_EQ(first.authors[0].name, "Eva Berg");
  EXPECT_EQ(first.published_time, "2003-12-13T17:30:02Z");
  EXPECT_EQ(first.modified_time, "2003-12-14T10:00:00Z");
  EXPECT_THAT(first.sections, ElementsAre("politik"));
  EXPECT_THAT(first.body, HasSubstr("Erster"));
  EXPECT_THAT(first.body, HasSubstr("Zweiter & letzter"));
  EXPECT_THAT(first.body, Not(HasSubstr("Kurz")));
  EXPECT_EQ(first.language, "de");
  EXPECT_EQ(first.provenance.at("body"), "feed");

  const Article& second = articles[1];
  EXPECT_EQ(second.item_index, 1U);
  EXPECT_EQ(second.url, "https://example.com/2");
  ASSERT_EQ(second.authors.size(), 1U);
  EXPECT_EQ(second.authors[0].name, "Feed Author");
  EXPECT_EQ(second.published_time, "2003-12-15T10:00:00Z");
  EXPECT_THAT(second.body, HasSubstr("Nur Zusammenfassung"));
  EXPECT_THAT(second.body, Not(HasSubstr("<p>")));
}

TEST(FeedDecoderTest, TenThousandItems) {
  std::string items;
  for (int index = 0; index < 10000; ++index) {
    items += fmt::format(
        "<item><title>Item {0}</title><link>https://example.com/{0}</link>"
        "<description>Body {0}</description></item>\n",
        index);
  }
  const auto articles = DecodeAll(Rss(items));
  ASSERT_EQ(articles.size(), 10000U);
  EXPECT_EQ(articles[9999].title, "Item 9999");
  EXPECT_EQ(articles[9999].item_index, 9999U);
  EXPECT_EQ(articles[9999].body, "Body 9999");
}

TEST(FeedDecoderTest, EntityBombIsRefused) {
  const std::string bomb = R"(<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>)";
  const Error error = OuterError(bomb);
  EXPECT_EQ(error.stage, Stage::kDecode);
  EXPECT_EQ(error.code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(error.message, HasSubstr("declares entities"));
}

TEST(FeedDecoderTest, ExternalEntityDeclarationIsRefused) {
  const Error error = OuterError(R"(<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>)");
  EXPECT_EQ(error.code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(error.message, HasSubstr("declares entities"));
}

TEST(FeedDecoderTest, UndeclaredEntityReferencesStayLiteral) {
  // An external DTD is never fetched, and references it would define are not expanded.
  const auto articles = DecodeAll(R"(<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file:///etc/passwd">
<rss version="2.0"><channel><item><title>A &xxe; B</title></item></channel></rss>)");
  ASSERT_EQ(articles.size(), 1U);
  EXPECT_EQ(articles[0].title, "A &xxe; B");
  EXPECT_THAT(articles[0].title, Not(HasSubstr("root:")));
}

TEST(FeedDecoderTest, OuterErrors) {
  EXPECT_EQ(OuterError("").code, ErrorCode::kEmptyInput);
  EXPECT_EQ(OuterError(Rss("")).code, ErrorCode::kEmptyInput);
  EXPECT_EQ(OuterError(R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>)").code,
            ErrorCode::kEmptyInput);
  EXPECT_EQ(OuterError("<html><body>no feed</body></html>").code, ErrorCode::kUnsupportedFormat);
  const Error truncated = OuterError("<rss><channel><item><title>cut");
  EXPECT_EQ(truncated.code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(truncated.message, HasSubstr("not well-formed XML at byte"));
  EXPECT_EQ(OuterError("not xml at all").code, ErrorCode::kUnsupportedFormat);
}

TEST(FeedDecoderTest, DeepNestingDoesNotCrash) {
  std::string deep = "<rss><channel><item><title>T</title><description>";
  for (int level = 0; level < 200000; ++level) deep += "<a>";
  for (int level = 0; level < 200000; ++level) deep += "</a>";
  deep += "</description></item></channel></rss>";
  const auto articles = DecodeAll(deep);
  ASSERT_EQ(articles.size(), 1U);
  EXPECT_EQ(articles[0].title, "T");

  // Inline XHTML content is printed back to markup, which must not recurse either.
  std::string atom = R"(<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>)"
                     R"(<content type="xhtml">)";
  for (int level = 0; level < 200000; ++level) atom += "<div>";
  atom += "deep";
  for (int level = 0; level < 200000; ++level) atom += "</div>";
  atom += "</content></entry></feed>";
  const auto entries = DecodeAll(atom);
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_THAT(entries[0].body, HasSubstr("deep"));
}

TEST(MarkupTextTest, StripsTagsAndDecodesReferences) {
  EXPECT_EQ(MarkupToText("<p>a &lt; b</p>"), "\na < b\n");
  EXPECT_EQ(MarkupToText("x < y and y > z"), "x < y and y > z");
  EXPECT_EQ(MarkupToText("a<br/>b<!-- hidden -->c"), "a\nbc");
  EXPECT_EQ(MarkupToText("<style>p{}</style><SCRIPT>x</SCRIPT>ok"), "ok");
  EXPECT_EQ(MarkupToText("<a href=\"x>y\">link</a>"), "link");
  EXPECT_EQ(MarkupToText("cut <a href="), "cut ");
  EXPECT_EQ(MarkupToText("AT&T &#233;&#xE9; &eacute; &bogus; &#0;"),
            "AT&T \xC3\xA9\xC3\xA9 \xC3\xA9 &bogus; \xEF\xBF\xBD");
  EXPECT_EQ(DecodeHtmlEntities("&#99999999999999999999;"), "\xEF\xBF\xBD");
}

TEST(MarkupTextTest, HostileMarkupStaysLinear) {
  // Many unterminated tags and references; each byte is looked at a bounded number of times.
  std::string hostile;
  for (int index = 0; index < 200000; ++index) hostile += "<script>&#x";
  EXPECT_NO_FATAL_FAILURE(MarkupToText(hostile));
  std::string many_lt(1'000'000, '<');
  EXPECT_EQ(MarkupToText(many_lt), many_lt);
}

TEST(NormalizeDateTest, Formats) {
  EXPECT_EQ(NormalizeDate("Tue, 10 Jun 2003 04:00:00 GMT"), "2003-06-10T04:00:00Z");
  EXPECT_EQ(NormalizeDate("10 Jun 2003 04:00 -0700"), "2003-06-10T11:00:00Z");
  EXPECT_EQ(NormalizeDate("Sat, 31 Dec 2022 23:30:00 EST"), "2023-01-01T04:30:00Z");
  EXPECT_EQ(NormalizeDate("Mon, 1 Jan 01 00:00:00 +0100"), "2000-12-31T23:00:00Z");
  EXPECT_EQ(NormalizeDate("2003-06-10T04:00:00Z"), "2003-06-10T04:00:00Z");
  EXPECT_EQ(NormalizeDate("2003-06-10T09:30:00.123+05:30"), "2003-06-10T04:00:00Z");
  EXPECT_EQ(NormalizeDate("2024-02-29 12:00:00"), "2024-02-29T12:00:00Z");
  EXPECT_EQ(NormalizeDate(" 2003-06-10 "), "2003-06-10T00:00:00Z");
  EXPECT_EQ(NormalizeDate("2016-12-31T23:59:60Z"), "2016-12-31T23:59:59Z");
}

TEST(NormalizeDateTest, RejectsWhatItCannotRead) {
  for (const char* text :
       {"", "yesterday", "2023-02-29T00:00:00Z", "2003-13-01", "2003-06-10T25:00",
        "Tue, 10 Foo 2003 04:00:00 GMT", "10 Jun 2003 04:00:00 CEST", "2003-06-10T04:00:00Z extra",
        "0000-01-01T00:00:00+01:00"}) {
    EXPECT_EQ(NormalizeDate(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace newswire::pipeline
