#include "daemon/pipeline/decode/decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "daemon/pipeline/unicode_text.h"
#include "tests/unit/pipeline/test_helpers.h"

// Decode with a declared content type (RawArticle::content_type); content sniffing alone is
// covered by format_sniffer_test.cc, charsets by charset_test.cc.
namespace newswire::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RawArticle KafkaItem(std::string bytes, std::string content_type) {
  RawArticle raw;
  raw.bytes = std::move(bytes);
  raw.origin.kind = Origin::Kind::kKafka;
  raw.origin.source_name = "wire";
  raw.content_type = std::move(content_type);
  return raw;
}

// The only article of an item; fails the test if there is not exactly one.
Article DecodeOne(std::string bytes, std::string content_type) {
  return test_helpers::OnlyArticle(Decode(KafkaItem(std::move(bytes), std::move(content_type))));
}

Error DecodeError(std::string bytes, std::string content_type) {
  auto decoded = Decode(KafkaItem(std::move(bytes), std::move(content_type)));
  EXPECT_FALSE(decoded.has_value());
  return decoded ? Error{} : decoded.error();
}

// Sniffs as HTML (a root <html>), and has enough paragraph text for the extractor.
std::string HtmlPage() {
  std::string html = "<html><head><title>Council approves budget</title></head><body><article>";
  for (int paragraph = 0; paragraph < 3; ++paragraph) {
    html +=
        "<p>The city council approved the budget on Monday after a long debate about schools, "
        "roads and the cost of public transport, officials said.</p>";
  }
  return html + "</article></body></html>";
}

// Found by tests/fuzz (fuzz_decode): gumbo turns "&#x99999999;" into a lone 0x99 byte.
TEST(DecoderTest, EveryDecodedFieldIsUtf8EvenWhenTheHtmlParserIsNot) {
  const Article article = test_helpers::OnlyArticle(Decode(test_helpers::FileItem(
      "<html><head><title>A &#x99999999; title</title></head><body><article><p>A body with "
      "&#x99999999; a reference beyond 32 bits, in a sentence long enough to be an article."
      "</p></article></body></html>")));
  EXPECT_FALSE(FindInvalidUtf8(article.title).has_value());
  EXPECT_FALSE(FindInvalidUtf8(article.body).has_value());
  EXPECT_THAT(article.body, HasSubstr("with \xEF\xBF\xBD a reference"));
  EXPECT_GE(article.stats.replaced_sequences, 1U);
}

TEST(DecoderTest, DeclaredPlainTextIsNotSniffedAsHtml) {
  const std::string page = HtmlPage();
  EXPECT_EQ(DecodeOne(page, "").format, "html");

  const Article article = DecodeOne(page, "text/plain; charset=utf-8");
  EXPECT_EQ(article.format, "text");
  // The markup is the text: nothing parsed it away.
  EXPECT_THAT(article.title + article.body, HasSubstr("<p>"));
}

TEST(DecoderTest, DeclaredHtmlThatSniffsAsTextIsDecodedAsHtml) {
  // No leading '<', so sniffing calls it text.
  std::string fragment = "Council approves budget\n";
  for (int paragraph = 0; paragraph < 3; ++paragraph) {
    fragment +=
        "<p>The city council approved the budget on Monday after a long debate about schools, "
        "roads &amp; the cost of public transport, officials said.</p>\n";
  }
  EXPECT_EQ(DecodeOne(fragment, "").format, "text");

  const Article article = DecodeOne(fragment, "html");
  EXPECT_EQ(article.format, "html");
  EXPECT_THAT(article.body, HasSubstr("roads & the cost"));
  EXPECT_THAT(article.body, Not(HasSubstr("<p>")));
}

TEST(DecoderTest, DeclaredJsonLinesIsNotSniffedAsOneJsonDocument) {
  // One line: sniffing calls it a JSON document.
  const std::string line = R"({"title": "Storm hits coast", "body": "Winds of 120 km/h."})";
  EXPECT_EQ(DecodeOne(line, "").format, "json");
  EXPECT_EQ(DecodeOne(line, "application/x-ndjson").format, "jsonl");
}

TEST(DecoderTest, DeclaredCharsetDecodesBytesTooShortToDetect) {
  // windows-1252 curly quotes and an e acute: not UTF-8, and too short for the detector.
  const std::string bytes =
      "Caf\xE9 prices\nThe \x93"
      "caf\xE9\x94 raised its prices.";
  EXPECT_EQ(DecodeError(bytes, "").code, ErrorCode::kInvalidUtf8);

  const Article article = DecodeOne(bytes, "text/plain; charset=windows-1252");
  EXPECT_EQ(article.charset, "windows-1252");
  EXPECT_EQ(article.title, "Caf\xC3\xA9 prices");
  EXPECT_THAT(article.body, HasSubstr("\xE2\x80\x9C"
                                      "caf\xC3\xA9\xE2\x80\x9D"));
  EXPECT_EQ(article.stats.replaced_sequences, 0U);
}

TEST(DecoderTest, DeclaredLatin1MeansWindows1252) {
  const Article article = DecodeOne(
      "Caf\xE9 prices\nThe \x93"
      "caf\xE9\x94 raised its prices.",
      "text/plain; charset=\"ISO-8859-1\"");
  EXPECT_EQ(article.charset, "windows-1252");
  EXPECT_THAT(article.body, HasSubstr("\xE2\x80\x9C"
                                      "caf\xC3\xA9\xE2\x80\x9D"));
}

TEST(DecoderTest, ContentTypeCharsetOutranksTheMetaDeclaration) {
  // The page claims UTF-8 but its bytes are windows-1252, as its transport says.
  std::string page = HtmlPage();
  page.insert(page.find("<title>"), "<meta charset=\"utf-8\">");
  page.insert(page.find("</article>"), "<p>Caf\xE9 owners were not asked.</p>");

  const Article article = DecodeOne(page, "text/html; charset=windows-1252");
  EXPECT_EQ(article.charset, "windows-1252");
  EXPECT_THAT(article.body, HasSubstr("Caf\xC3\xA9 owners"));
  EXPECT_EQ(article.stats.replaced_sequences, 0U);
}

TEST(DecoderTest, DeclaredUtf16WithoutByteOrderMarkIsConvertedBeforeSniffing) {
  std::string utf16;
  for (const char character : HtmlPage()) {
    utf16.push_back(character);
    utf16.push_back('\0');
  }
  const Article article = DecodeOne(utf16, "text/html; charset=utf-16le");
  EXPECT_EQ(article.format, "html");
  EXPECT_EQ(article.charset, "UTF-16LE");
  EXPECT_EQ(article.title, "Council approves budget");

  // Sniffed, too.
  EXPECT_EQ(DecodeOne(utf16, "application/octet-stream; charset=UTF-16LE").format, "html");
}

TEST(DecoderTest, UnknownCharsetFallsBackToTheBytes) {
  const Article article = DecodeOne("Caf\xC3\xA9 prices\nThey rose.", "text/plain; charset=x-nope");
  EXPECT_EQ(article.charset, "UTF-8");
  EXPECT_EQ(article.title, "Caf\xC3\xA9 prices");

  // Not a charset name at all: never reaches ICU.
  EXPECT_EQ(DecodeOne("Title\nBody.", "text/plain; charset=\"utf-8,swaplfnl\"").charset, "UTF-8");
}

TEST(DecoderTest, UnknownContentTypeFallsBackToSniffing) {
  EXPECT_EQ(DecodeOne(HtmlPage(), "application/octet-stream").format, "html");
  EXPECT_EQ(DecodeOne(HtmlPage(), "application/x-unheard-of").format, "html");
  EXPECT_EQ(DecodeOne(HtmlPage(), "auto").format, "html");
  EXPECT_EQ(DecodeOne("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>"
                      "<item><title>Storm hits coast</title><description>Winds of 120 km/h."
                      "</description></item></channel></rss>",
                      "application/xml")
                .format,
            "rss");
}

TEST(DecoderTest, DeclaredFormatThatFailsSaysTheContentTypeDeclaredIt) {
  const Error error =
      DecodeError("{\"title\": \"Storm\", \"body\": ", "Application/JSON; charset=utf-8");
  EXPECT_EQ(error.stage, Stage::kDecode);
  EXPECT_EQ(error.code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(error.message, HasSubstr("(declared by content type 'Application/JSON')"));

  EXPECT_THAT(DecodeError("Just a headline\nand a line.", "feed").message,
              HasSubstr("(declared by content type 'feed')"));
}

TEST(DecoderTest, SniffedFormatThatFailsDoesNotMentionAContentType) {
  const Error error = DecodeError("<html><body><nav>Home</nav></body></html>", "");
  EXPECT_THAT(error.message, Not(HasSubstr("content type")));
}

}  // namespace
}  // namespace newswire::pipeline
