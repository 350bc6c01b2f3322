#include "daemon/pipeline/decode/charset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "daemon/pipeline/decode/decoder.h"
#include "daemon/pipeline/unicode_text.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using test_helpers::FileItem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// "Café au lait" and a French sentence, long enough for confident detection, in Latin-1.
const std::string kLatin1Text =
    "Caf\xE9 au lait\nLe gar\xE7on a servi un caf\xE9 tr\xE8s chaud \xE0 la terrasse, pr\xE8s de "
    "la fen\xEAtre, o\xF9 l'on voit la mer.\n";
const std::string kLatin1TextAsUtf8 =
    "Caf\xC3\xA9 au lait\nLe gar\xC3\xA7on a servi un caf\xC3\xA9 tr\xC3\xA8s chaud \xC3\xA0 la "
    "terrasse, pr\xC3\xA8s de la fen\xC3\xAAtre, o\xC3\xB9 l'on voit la mer.\n";

// `utf8` (BMP only) in UTF-16 or UTF-32 of the given byte order, with no byte order mark.
std::string Encode(std::string_view utf8, int unit_bytes, bool big_endian) {
  std::string encoded;
  std::size_t index = 0;
  while (index < utf8.size()) {
    const char32_t code_point = NextCodePoint(utf8, index);
    for (int byte = 0; byte < unit_bytes; ++byte) {
      const int shift = 8 * (big_endian ? unit_bytes - 1 - byte : byte);
      encoded.push_back(static_cast<char>((code_point >> shift) & 0xFF));
    }
  }
  return encoded;
}

Utf8Text Convert(std::string_view bytes, CharsetSyntax syntax = CharsetSyntax::kPlain) {
  auto utf8 = ToUtf8(bytes, syntax);
  EXPECT_TRUE(utf8.has_value()) << utf8.error().Describe();
  return utf8 ? std::move(*utf8) : Utf8Text::Borrowed("", "", CharsetSource::kUtf8);
}

Error ConvertError(std::string_view bytes, CharsetSyntax syntax = CharsetSyntax::kPlain) {
  auto utf8 = ToUtf8(bytes, syntax);
  EXPECT_FALSE(utf8.has_value()) << "converted as " << utf8->charset();
  return utf8 ? Error{} : utf8.error();
}

Article DecodeOne(std::string bytes) {
  auto decoded = Decode(FileItem(std::move(bytes)));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  if (!decoded || decoded->size() != 1U || !decoded->front()) return {};
  return std::move(*decoded->front());
}

Error DecodeError(std::string bytes) {
  auto decoded = Decode(FileItem(std::move(bytes)));
  EXPECT_FALSE(decoded.has_value());
  return decoded ? Error{} : decoded.error();
}

TEST(CharsetTest, ValidUtf8IsUsedAsItIsWithoutACopy) {
  const std::string bytes = "Title\nCaf\xC3\xA9";
  const Utf8Text utf8 = Convert(bytes);
  EXPECT_FALSE(utf8.converted());
  EXPECT_EQ(utf8.text().data(), bytes.data());
  EXPECT_EQ(utf8.charset(), "UTF-8");
  EXPECT_EQ(utf8.source(), CharsetSource::kUtf8);
}

TEST(CharsetTest, Utf8ByteOrderMarkIsDroppedWithoutACopy) {
  const std::string bytes = "\xEF\xBB\xBFTitle";
  const Utf8Text utf8 = Convert(bytes);
  EXPECT_FALSE(utf8.converted());
  EXPECT_EQ(utf8.text(), "Title");
  EXPECT_EQ(utf8.source(), CharsetSource::kByteOrderMark);
}

TEST(CharsetTest, EachUtf16And32ByteOrderMarkIsConverted) {
  const std::string text = "Title\nCaf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D";
  struct Case {
    std::string_view mark;
    int unit_bytes;
    bool big_endian;
    std::string_view charset;
  };
  for (const Case& each : {Case{std::string_view("\xFF\xFE", 2), 2, false, "UTF-16LE"},
                           Case{std::string_view("\xFE\xFF", 2), 2, true, "UTF-16BE"},
                           Case{std::string_view("\xFF\xFE\0\0", 4), 4, false, "UTF-32LE"},
                           Case{std::string_view("\0\0\xFE\xFF", 4), 4, true, "UTF-32BE"}}) {
    SCOPED_TRACE(std::string(each.charset));
    const std::string bytes =
        std::string(each.mark) + Encode(text, each.unit_bytes, each.big_endian);
    const auto mark = FindByteOrderMark(bytes);
    ASSERT_TRUE(mark.has_value());
    EXPECT_EQ(mark->charset, each.charset);
    const Utf8Text utf8 = Convert(bytes);
    EXPECT_EQ(utf8.text(), text);
    EXPECT_EQ(utf8.charset(), each.charset);
    EXPECT_EQ(utf8.source(), CharsetSource::kByteOrderMark);
    EXPECT_EQ(utf8.replaced_sequences(), 0U);
  }
}

TEST(CharsetTest, Utf16TextDecodesAsAnArticle) {
  const std::string bytes = "\xFF\xFE" + Encode("Titre\nCaf\xC3\xA9 cr\xC3\xA8me", 2, false);
  const Article article = DecodeOne(bytes);
  EXPECT_EQ(article.title, "Titre");
  EXPECT_EQ(article.body, "Caf\xC3\xA9 cr\xC3\xA8me");
  EXPECT_EQ(article.charset, "UTF-16LE");
  EXPECT_EQ(article.stats.input_bytes, bytes.size());
}

TEST(CharsetTest, UnpairedSurrogateAndTruncatedUtf16AreReplacedAndCounted) {
  // "A", a lone high surrogate, "B", and half a code unit at the end.
  const std::string bytes = std::string(
      "\xFF\xFE"
      "A\0"
      "\x00\xD8"
      "B\0"
      "C",
      9);
  const Utf8Text utf8 = Convert(bytes);
  EXPECT_EQ(utf8.text(),
            "A\xEF\xBF\xBD"
            "B\xEF\xBF\xBD");
  EXPECT_EQ(utf8.replaced_sequences(), 2U);
}

TEST(CharsetTest, DeclaredWindows1252HtmlIsConverted) {
  const std::string html =
      "<!DOCTYPE html><html><head><meta charset=\"windows-1252\"><title>T</title></head>"
      "<body><p>\x93Quoted\x94 for \x80 5, na\xEFve caf\xE9</p></body></html>";
  EXPECT_EQ(FindDeclaredCharset(html), "windows-1252");
  const Utf8Text utf8 = Convert(html, CharsetSyntax::kMarkup);
  EXPECT_EQ(utf8.charset(), "windows-1252");
  EXPECT_EQ(utf8.source(), CharsetSource::kDeclared);
  EXPECT_THAT(std::string(utf8.text()),
              HasSubstr("\xE2\x80\x9CQuoted\xE2\x80\x9D for \xE2\x82\xAC 5, na\xC3\xAFve "
                        "caf\xC3\xA9"));
  EXPECT_EQ(utf8.replaced_sequences(), 0U);
}

TEST(CharsetTest, HttpEquivAndXmlDeclarationsAreFound) {
  EXPECT_EQ(FindDeclaredCharset("<html><head><META HTTP-EQUIV=\"Content-Type\" "
                                "CONTENT=\"text/html; charset=ISO-8859-2\"></head>"),
            "iso-8859-2");
  EXPECT_EQ(FindDeclaredCharset("<?xml version=\"1.0\" encoding='ISO-8859-15'?><rss/>"),
            "iso-8859-15");
  EXPECT_EQ(FindDeclaredCharset("<html><meta charset=utf-8></html>"), "utf-8");
  EXPECT_EQ(FindDeclaredCharset("<html><p>charset=koi8-r</p></html>"), std::nullopt);
  // Only the first 1024 bytes count.
  EXPECT_EQ(FindDeclaredCharset("<html>" + std::string(2000, ' ') + "<meta charset=koi8-r>"),
            std::nullopt);
}

TEST(CharsetTest, Latin1LabelMeansWindows1252AsInBrowsers) {
  const Utf8Text utf8 = Convert("<html><meta charset=iso-8859-1><p>\x93x\x94 \xE9</p></html>",
                                CharsetSyntax::kMarkup);
  EXPECT_EQ(utf8.charset(), "windows-1252");
  EXPECT_THAT(std::string(utf8.text()), HasSubstr("\xE2\x80\x9Cx\xE2\x80\x9D \xC3\xA9"));
}

TEST(CharsetTest, DeclaredUtf8WithBadBytesIsRepairedAndCounted) {
  const Utf8Text utf8 =
      Convert("<html><meta charset=utf-8><p>a\xC3(b\xE2\x82</p></html>", CharsetSyntax::kMarkup);
  EXPECT_EQ(utf8.charset(), "UTF-8");
  EXPECT_EQ(utf8.source(), CharsetSource::kDeclared);
  EXPECT_THAT(std::string(utf8.text()), HasSubstr("a\xEF\xBF\xBD(b\xEF\xBF\xBD</p>"));
  EXPECT_EQ(utf8.replaced_sequences(), 2U);
}

TEST(CharsetTest, UnmappableBytesBecomeReplacementCharactersNotControls) {
  // 0x80 is not ASCII; ICU's own substitute for US-ASCII would be U+001A.
  std::size_t replaced = 0;
  auto utf8 = ConvertToUtf8("a\x80z", "US-ASCII", replaced);
  ASSERT_TRUE(utf8.has_value());
  EXPECT_EQ(*utf8, "a\xEF\xBF\xBDz");
  EXPECT_EQ(replaced, 1U);
  EXPECT_EQ(ConvertToUtf8("a", "no-such-charset", replaced).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(CharsetTest, UnknownDeclaredCharsetIsIgnored) {
  const Utf8Text utf8 =
      Convert("<html><meta charset=x-bogus><p>caf\xC3\xA9</p></html>", CharsetSyntax::kMarkup);
  EXPECT_EQ(utf8.charset(), "UTF-8");
  EXPECT_EQ(utf8.source(), CharsetSource::kUtf8);
}

TEST(CharsetTest, ContentTypeCharsetRanksAfterTheByteOrderMarkAndBeforeMarkup) {
  auto utf8 = ToUtf8("<html><meta charset=utf-8><p>caf\xE9</p></html>", CharsetSyntax::kMarkup,
                     "windows-1252");
  ASSERT_TRUE(utf8.has_value()) << utf8.error().Describe();
  EXPECT_EQ(utf8->source(), CharsetSource::kContentType);
  EXPECT_EQ(utf8->charset(), "windows-1252");
  EXPECT_THAT(std::string(utf8->text()), HasSubstr("caf\xC3\xA9"));

  utf8 = ToUtf8(
      "\xEF\xBB\xBF"
      "caf\xC3\xA9",
      CharsetSyntax::kPlain, "windows-1252");
  ASSERT_TRUE(utf8.has_value()) << utf8.error().Describe();
  EXPECT_EQ(utf8->source(), CharsetSource::kByteOrderMark);
  EXPECT_EQ(utf8->text(), "caf\xC3\xA9");
}

TEST(CharsetTest, ContentTypeUtf8VouchesForUtf8SoBadBytesAreReplaced) {
  auto utf8 = ToUtf8("caf\xE9 au lait", CharsetSyntax::kPlain, "UTF-8");
  ASSERT_TRUE(utf8.has_value()) << utf8.error().Describe();
  EXPECT_EQ(utf8->source(), CharsetSource::kContentType);
  EXPECT_EQ(utf8->text(), "caf\xEF\xBF\xBD au lait");
  EXPECT_EQ(utf8->replaced_sequences(), 1U);
}

TEST(CharsetTest, UnknownOrMalformedContentTypeCharsetIsIgnored) {
  for (const std::string_view label : {"x-bogus", "utf-8,swaplfnl", "utf 8", ""}) {
    auto utf8 = ToUtf8("<html><meta charset=windows-1252><p>caf\xE9</p></html>",
                       CharsetSyntax::kMarkup, label);
    ASSERT_TRUE(utf8.has_value()) << utf8.error().Describe();
    EXPECT_EQ(utf8->source(), CharsetSource::kDeclared) << label;
    EXPECT_EQ(utf8->charset(), "windows-1252") << label;
  }
}

TEST(CharsetTest, UndeclaredLatin1TextIsDetectedAndConverted) {
  const Utf8Text utf8 = Convert(kLatin1Text);
  EXPECT_EQ(utf8.source(), CharsetSource::kDetected);
  EXPECT_EQ(utf8.charset(), "ISO-8859-1");
  EXPECT_EQ(utf8.text(), kLatin1TextAsUtf8);

  const Article article = DecodeOne(kLatin1Text);
  EXPECT_EQ(article.title, "Caf\xC3\xA9 au lait");
  EXPECT_EQ(article.charset, "ISO-8859-1");
  EXPECT_EQ(article.stats.input_bytes, kLatin1Text.size());
}

TEST(CharsetTest, UndeclaredWindows1252TextIsDetectedAndConverted) {
  const Utf8Text utf8 = Convert(
      "Title\nThe \x93quoted\x94 text costs \x80 5 and it\x92s a fine day in the city, everyone "
      "agreed at the meeting.\n");
  EXPECT_EQ(utf8.charset(), "windows-1252");
  EXPECT_THAT(std::string(utf8.text()),
              HasSubstr("\xE2\x80\x9Cquoted\xE2\x80\x9D text costs \xE2\x82\xAC 5 and "
                        "it\xE2\x80\x99s"));
}

TEST(CharsetTest, TheDaemonsShortCorruptInputStaysRejected) {
  // tests/integration/daemon: too short to say what it is, so it is not guessed at.
  const Error error = DecodeError("Headline\nbad \xc3\x28 bytes\n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidUtf8);
  EXPECT_EQ(error.stage, Stage::kDecode);
  EXPECT_THAT(error.message, StartsWith("invalid UTF-8 at byte 13 ("));
  EXPECT_THAT(error.message, HasSubstr("too short"));
}

TEST(CharsetTest, LongCorruptUtf8WithValidMultiByteSequencesIsRejected) {
  // Mixed encodings: UTF-8 "é" first, then a Latin-1 "é" byte.
  std::string mixed = "Caf\xC3\xA9 au lait\nUn caf\xE9 tr\xC3\xA8s chaud";
  mixed += std::string(100, ' ') + "et encore du texte.\n";
  const Error error = DecodeError(mixed);
  EXPECT_EQ(error.code, ErrorCode::kInvalidUtf8);
  EXPECT_THAT(error.message, StartsWith("invalid UTF-8 at byte 20 (")) << error.message;
  EXPECT_THAT(error.message, HasSubstr("corrupt or mixed UTF-8"));
}

TEST(CharsetTest, TruncatedSequencesAreRejectedInUndeclaredText) {
  // At the end of otherwise UTF-8 text, and in the middle.
  std::string text = "Caf\xC3\xA9\n" + std::string(80, 'x') + "\xE2\x82";
  EXPECT_THAT(ConvertError(text).message, StartsWith("invalid UTF-8 at byte 86 (truncated"));
  EXPECT_EQ(DecodeError("Title\n\xF0\x9F\x98 x").code, ErrorCode::kInvalidUtf8);
}

TEST(CharsetTest, UnsureDetectionIsRejected) {
  // Random high bytes: no charset fits them.
  std::string noise;
  for (int index = 0; index < 200; ++index) {
    noise.push_back(static_cast<char>(0x80 + (index * 37) % 0x7F));
    noise.push_back(' ');
  }
  const Error error = ConvertError(noise);
  EXPECT_EQ(error.code, ErrorCode::kInvalidUtf8);
  EXPECT_THAT(error.message, HasSubstr("invalid UTF-8 at byte 0"));
}

TEST(CharsetTest, NulBytesStayBinary) {
  // Valid UTF-8 with a NUL: the text decoder refuses it as binary, as before.
  EXPECT_EQ(DecodeError(std::string("Title\nbo\0dy", 11)).code, ErrorCode::kUnsupportedFormat);
  // UTF-16 without a byte order mark looks the same.
  EXPECT_EQ(DecodeError(Encode("Title\nBody", 2, false)).code, ErrorCode::kUnsupportedFormat);
  // Not UTF-8 and a NUL: never handed to the detector.
  const std::string binary =
      std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16) + std::string(100, '\xFF');
  EXPECT_EQ(DecodeError(binary).code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(DecodeError(binary).message, Not(HasSubstr("UTF-16")));
}

TEST(CharsetTest, Utf16WithoutAByteOrderMarkIsRefusedWithAdviceToConvertIt) {
  const std::string text = "Election results\nThe council counted every vote on Sunday.\n";
  const std::string accented = "R\xC3\xA9sultats\nLe conseil a compt\xC3\xA9 les voix.\n";
  for (const bool big_endian : {false, true}) {
    const std::string name = big_endian ? "UTF-16BE" : "UTF-16LE";
    // ASCII-only UTF-16 is valid UTF-8 with NULs (the text decoder refuses it); with a letter
    // beyond ASCII it is invalid UTF-8 (the charset stage refuses it). Both name the charset.
    for (const std::string& utf8 : {text, accented}) {
      const Error error = DecodeError(Encode(utf8, 2, big_endian));
      EXPECT_EQ(error.code, ErrorCode::kUnsupportedFormat);
      EXPECT_THAT(error.message, HasSubstr(name + " without a byte order mark"));
      EXPECT_THAT(error.message, HasSubstr("iconv -f " + name));
    }
    EXPECT_EQ(LikelyUtf16WithoutMark(Encode(text, 2, big_endian)), name);
  }
  // Too short to judge, NULs on both sides, or control codes between them: no guess.
  EXPECT_EQ(LikelyUtf16WithoutMark(Encode("Short", 2, false)), "");
  EXPECT_EQ(LikelyUtf16WithoutMark(std::string(64, '\0')), "");
  std::string codes;
  for (int index = 0; index < 64; ++index)
    codes += std::string{static_cast<char>(index % 8 + 1), '\0'};
  EXPECT_EQ(LikelyUtf16WithoutMark(codes), "");
}

TEST(CharsetTest, DecodedArticlesRecordTheirCharset) {
  EXPECT_EQ(DecodeOne("Title\nBody").charset, "UTF-8");
  EXPECT_EQ(DecodeOne("\xEF\xBB\xBFTitle\nBody").title, "Title");
}

TEST(CharsetTest, Utf8ByteOrderMarkVouchesForUtf8SoBadBytesAreReplaced) {
  const Article article = DecodeOne("\xEF\xBB\xBFTitle\nbad \xC3( bytes");
  EXPECT_EQ(article.body, "bad \xEF\xBF\xBD( bytes");
  EXPECT_EQ(article.stats.replaced_sequences, 1U);
  EXPECT_EQ(article.charset, "UTF-8");
}

TEST(CharsetTest, DeclaredCharsetOfMarkupReachesTheArticles) {
  // ASCII only, so the result holds whichever HTML decoder is plugged in.
  std::string html =
      "<!DOCTYPE html><html><head><meta charset=\"windows-1252\"><title>Title</title></head>"
      "<body><article><h1>Council approves the new budget</h1>";
  for (int paragraph = 0; paragraph < 4; ++paragraph) {
    html +=
        "<p>The city council approved the budget on Monday after a long debate about schools, "
        "roads and the cost of public transport, officials said in a statement.</p>";
  }
  html += "</article></body></html>";
  auto decoded = Decode(FileItem(html));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().Describe();
  ASSERT_FALSE(decoded->empty());
  ASSERT_TRUE(decoded->front().has_value()) << decoded->front().error().Describe();
  EXPECT_EQ(decoded->front()->charset, "windows-1252");
}

}  // namespace
}  // namespace newswire::pipeline
