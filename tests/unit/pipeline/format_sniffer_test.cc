#include "daemon/pipeline/decode/format_sniffer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/pipeline/decode/decoder.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

TEST(FormatSnifferTest, Html) {
  EXPECT_EQ(SniffFormat("<!DOCTYPE html><html><body>x</body></html>"), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("\xEF\xBB\xBF  \n<!doctype HTML>"), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("<HTML lang=\"en\"><p>x"), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("<!-- saved page --><head><title>x</title></head>"), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("<body>x</body>"), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("<div class=\"story\"><p>A fragment.</p></div>"), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"),
            InputFormat::kHtml);
}

TEST(FormatSnifferTest, Feeds) {
  EXPECT_EQ(SniffFormat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<?xml-stylesheet href=\"s.xsl\"?>\n<!-- feed -->\n<rss version=\"2.0\">"),
            InputFormat::kFeed);
  EXPECT_EQ(SniffFormat("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></feed>"),
            InputFormat::kFeed);
  EXPECT_EQ(SniffFormat("<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/"
                        "02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">"),
            InputFormat::kFeed);
  // A <feed> that is not Atom, and other XML, are not feeds.
  EXPECT_EQ(SniffFormat("<feed><item>x</item></feed>"), InputFormat::kText);
  EXPECT_EQ(SniffFormat("<?xml version=\"1.0\"?><newsMessage><x/></newsMessage>"),
            InputFormat::kText);
}

// An internal subset can declare entities (billion laughs, external entities); HTML never has
// one. Such documents go to the feed decoder, which refuses the declarations, whatever the root.
TEST(FormatSnifferTest, DoctypeWithAnInternalSubsetGoesToTheFeedDecoder) {
  EXPECT_EQ(SniffFormat("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n <!ENTITY a \"x\">\n"
                        " <!ENTITY b \"&a;&a;\">\n]>\n<rss><channel><title>&b;</title>"),
            InputFormat::kFeed);
  EXPECT_EQ(SniffFormat("<!DOCTYPE page [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                        "<page><title>&x;</title><p>x</p></page>"),
            InputFormat::kFeed);
  // A doctype without one is skipped as before.
  EXPECT_EQ(SniffFormat("<!DOCTYPE rss SYSTEM \"x.dtd\"><rss version=\"2.0\">"),
            InputFormat::kFeed);
  EXPECT_EQ(SniffFormat("<!DOCTYPE page SYSTEM \"x.dtd\"><page><p>x</p></page>"),
            InputFormat::kHtml);
}

TEST(FormatSnifferTest, Json) {
  EXPECT_EQ(SniffFormat("{\"title\": \"x\", \"body\": \"y\"}"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("{\n  \"title\": \"x\",\n  \"body\": \"y\"\n}\n"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("[{\"title\": \"x\"}]"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("{\"title\": \"only one line\"}\n"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("{}"), InputFormat::kJson);
  // An object cut short is still JSON (the decoder says where it broke); a bracket without the
  // rest of a JSON value is text.
  EXPECT_EQ(SniffFormat("{\"title\": \"x\", \"body\": \"cut sh"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("[{\"title\": \"x\"}"), InputFormat::kText);
  EXPECT_EQ(SniffFormat("{Breaking} news"), InputFormat::kText);
}

TEST(FormatSnifferTest, JsonLines) {
  EXPECT_EQ(SniffFormat("{\"title\": \"a\"}\n{\"title\": \"b\"}\n"), InputFormat::kJsonLines);
  EXPECT_EQ(SniffFormat("{\"a\":1}\r\n\r\n{\"b\":2}"), InputFormat::kJsonLines);
  // One broken line among objects is still JSON Lines: the decoder dead-letters that line alone.
  EXPECT_EQ(SniffFormat("{\"a\":1}\n{\"broken\": \n{\"b\":2}"), InputFormat::kJsonLines);
  EXPECT_EQ(SniffFormat("{\"a\":1}\nplain words\n{\"b\":2}"), InputFormat::kJsonLines);
  // Mostly not objects, or not starting with one: something else.
  EXPECT_EQ(SniffFormat("{\"a\":1}\nplain\nwords\nhere\n{\"b\":2}"), InputFormat::kJson);
  EXPECT_EQ(SniffFormat("{\n  \"a\": 1\n}\n"), InputFormat::kJson);
}

TEST(FormatSnifferTest, PlainText) {
  EXPECT_EQ(SniffFormat("Title\nBody"), InputFormat::kText);
  EXPECT_EQ(SniffFormat(""), InputFormat::kText);
  EXPECT_EQ(SniffFormat(" \n\t "), InputFormat::kText);
  EXPECT_EQ(SniffFormat("[Updated] Headline\nBody text."), InputFormat::kText);
  EXPECT_EQ(SniffFormat("{Breaking} Headline\nBody text."), InputFormat::kText);
  EXPECT_EQ(SniffFormat("<3 a headline with a heart\nBody."), InputFormat::kText);
  EXPECT_EQ(SniffFormat("<!-- never closed"), InputFormat::kText);
  for (const auto& sample : test_helpers::LoadSamples()) {
    EXPECT_EQ(SniffFormat(sample.bytes), InputFormat::kText) << sample.path;
  }
}

TEST(FormatSnifferTest, HugeSingleLinesAreSniffedFromABoundedPrefix) {
  constexpr std::size_t kSize = 50 * 1024 * 1024;
  const auto start = std::chrono::steady_clock::now();
  std::string json = "{\"body\":\"" + std::string(kSize, 'x') + "\"}";
  EXPECT_EQ(SniffFormat(json), InputFormat::kJson);
  std::string lines = "{\"body\":\"" + std::string(kSize, 'x') + "\"}\n{\"body\":\"y\"}\n";
  // The first line is longer than the window, so this cannot be told from one JSON object.
  EXPECT_NE(SniffFormat(lines), InputFormat::kJsonLines);
  EXPECT_EQ(SniffFormat(std::string(kSize, '<')), InputFormat::kText);
  EXPECT_EQ(SniffFormat(std::string(kSize, '{')), InputFormat::kText);
  EXPECT_EQ(SniffFormat(std::string(kSize, ' ') + "<html>"), InputFormat::kText);
  EXPECT_EQ(SniffFormat("<html>" + std::string(kSize, 'a')), InputFormat::kHtml);
  EXPECT_EQ(SniffFormat("[" + std::string(kSize, ' ')), InputFormat::kText);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Building the strings dominates; a quadratic scan of 50 MB would take hours.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(FormatSnifferTest, DecodeRefusesEntityDeclarationsFoundBySniffing) {
  for (const std::string& bytes : {
           std::string("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n <!ENTITY lol \"lol\">\n"
                       " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n"
                       "<rss version=\"2.0\"><channel><item><title>&lol2;</title>"
                       "<description>Body</description></item></channel></rss>\n"),
           std::string("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [ <!ENTITY secret SYSTEM "
                       "\"file:///etc/passwd\"> ]>\n<rss version=\"2.0\"><channel><item>"
                       "<title>Title</title><description>&secret;</description></item>"
                       "</channel></rss>\n"),
       }) {
    auto decoded = Decode(test_helpers::FileItem(bytes, "/var/inbox/feed.txt"));
    ASSERT_FALSE(decoded.has_value()) << bytes;
    EXPECT_EQ(decoded.error().code, ErrorCode::kUnsupportedFormat);
    EXPECT_NE(decoded.error().message.find("declares entities"), std::string::npos)
        << decoded.error().message;
  }
}

TEST(FormatSnifferTest, DecodeRoutesByContentNotByFileName) {
  // Plain text named .html stays text.
  auto text = Decode(test_helpers::FileItem("Title\nBody", "/var/inbox/page.html"));
  ASSERT_TRUE(text.has_value());
  ASSERT_EQ(text->size(), 1U);
  ASSERT_TRUE(text->front().has_value());
  EXPECT_EQ(text->front()->format, "text");
}

TEST(FormatSnifferTest, NamesAreStable) {
  EXPECT_EQ(InputFormatName(InputFormat::kText), "text");
  EXPECT_EQ(InputFormatName(InputFormat::kHtml), "html");
  EXPECT_EQ(InputFormatName(InputFormat::kFeed), "feed");
  EXPECT_EQ(InputFormatName(InputFormat::kJson), "json");
  EXPECT_EQ(InputFormatName(InputFormat::kJsonLines), "jsonl");
}

TEST(FormatSnifferTest, FormatFromContentTypeMapsMimeTypesAndFormatNames) {
  struct Case {
    std::string_view content_type;
    std::optional<InputFormat> format;
  };
  const Case cases[] = {
      {"text/plain", InputFormat::kText},
      {"text/html", InputFormat::kHtml},
      {"application/xhtml+xml", InputFormat::kHtml},
      {"application/rss+xml", InputFormat::kFeed},
      {"application/atom+xml", InputFormat::kFeed},
      {"application/rdf+xml", InputFormat::kFeed},
      {"application/json", InputFormat::kJson},
      {"application/ld+json", InputFormat::kJson},
      {"application/x-ndjson", InputFormat::kJsonLines},
      {"application/jsonl", InputFormat::kJsonLines},
      {"application/jsonlines", InputFormat::kJsonLines},
      {"application/x-jsonlines", InputFormat::kJsonLines},
      // Format names from a source's config.
      {"text", InputFormat::kText},
      {"html", InputFormat::kHtml},
      {"feed", InputFormat::kFeed},
      {"json", InputFormat::kJson},
      {"jsonl", InputFormat::kJsonLines},
      // The essence in any case, trimmed, with parameters.
      {"Text/HTML; charset=windows-1252", InputFormat::kHtml},
      {"  application/JSON ;charset=utf-8", InputFormat::kJson},
      {"text/plain;format=flowed", InputFormat::kText},
      {"JSONL", InputFormat::kJsonLines},
      // Sniff.
      {"", std::nullopt},
      {"auto", std::nullopt},
      {"text/xml", std::nullopt},
      {"application/xml; charset=utf-8", std::nullopt},
      {"application/octet-stream", std::nullopt},
      {"application/vnd.example+json", std::nullopt},
      {"text/htmlx", std::nullopt},
      {"text/ html", std::nullopt},
      {"; charset=utf-8", std::nullopt},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(FormatFromContentType(test.content_type), test.format)
        << "content type \"" << test.content_type << "\"";
  }
}

TEST(FormatSnifferTest, CharsetFromContentTypeReadsTheCharsetParameter) {
  struct Case {
    std::string_view content_type;
    std::optional<std::string> charset;
  };
  const Case cases[] = {
      {"text/html; charset=windows-1252", "windows-1252"},
      {"text/html;charset=UTF-8", "UTF-8"},
      {"text/plain; CHARSET = ISO-8859-1 ", "ISO-8859-1"},
      {"text/plain; charset=\"iso-8859-15\"", "iso-8859-15"},
      {"text/plain; charset=\"we\\\"ird\"", "we\"ird"},
      {"text/plain; format=flowed; charset=koi8-r; delsp=yes", "koi8-r"},
      {"text/plain; name=\"a;charset=wrong\"; charset=utf-8", "utf-8"},
      {"html; charset=latin1", "latin1"},
      {"text/plain; xcharset=utf-8", std::nullopt},
      {"text/plain; charset=", std::nullopt},
      {"text/plain; charset=\"\"", std::nullopt},
      {"text/plain; charset", std::nullopt},
      {"text/plain", std::nullopt},
      {"charset=utf-8", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(CharsetFromContentType(test.content_type), test.charset)
        << "content type \"" << test.content_type << "\"";
  }
}

TEST(FormatSnifferTest, ContentTypeEssenceIsTheTrimmedPartBeforeParameters) {
  EXPECT_EQ(ContentTypeEssence(" Application/JSON ; charset=utf-8"), "Application/JSON");
  EXPECT_EQ(ContentTypeEssence("jsonl"), "jsonl");
  EXPECT_EQ(ContentTypeEssence(""), "");
}

}  // namespace
}  // namespace newswire::pipeline
