#include "daemon/pipeline/classify/folding.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace newswire::pipeline {
namespace {

std::string FoldedString(std::string_view utf8) { return Fold(utf8).text; }

// The original bytes that the first match of `needle` in the folded form of `original` maps to.
std::string OriginalOfMatch(std::string_view original, std::string_view needle) {
  const FoldedText folded = Fold(original);
  const std::size_t begin = folded.text.find(needle);
  if (begin == std::string::npos) return "<no match>";
  const ByteRange range = OriginalRange(folded, begin, begin + needle.size());
  return std::string(original.substr(range.begin, range.end - range.begin));
}

// Every folded byte must point at the first byte of a code point of the original, offsets must
// not decrease, and the last entry must be the original size.
void ExpectOffsetsAtCodePointStarts(std::string_view original) {
  const FoldedText folded = Fold(original);
  ASSERT_EQ(folded.source_offsets.size(), folded.text.size() + 1) << original;
  EXPECT_EQ(folded.source_offsets.back(), original.size()) << original;
  for (std::size_t index = 0; index < folded.text.size(); ++index) {
    const std::uint32_t offset = folded.source_offsets[index];
    ASSERT_LT(offset, original.size()) << original;
    EXPECT_NE(static_cast<unsigned char>(original[offset]) & 0xC0, 0x80)
        << original << " byte " << index;
    if (index > 0) {
      EXPECT_LE(folded.source_offsets[index - 1], offset) << original;
    }
  }
}

TEST(FoldTest, LowercasesAsciiAndKeepsTheRest) {
  EXPECT_EQ(FoldedString("Hello, WORLD! 42 [x]_y"), "hello, world! 42 [x]_y");
  EXPECT_EQ(FoldedString("AZaz@[`{"), "azaz@['{");
}

TEST(FoldTest, EmptyInput) {
  const FoldedText folded = Fold("");
  EXPECT_EQ(folded.text, "");
  ASSERT_EQ(folded.source_offsets.size(), 1u);
  EXPECT_EQ(folded.source_offsets[0], 0u);
  const ByteRange range = OriginalRange(folded, 0, 0);
  EXPECT_EQ(range.begin, 0u);
  EXPECT_EQ(range.end, 0u);
}

TEST(FoldTest, RemovesAccents) {
  EXPECT_EQ(FoldedString("Nicolás Maduro"), FoldedString("NICOLAS MADURO"));
  EXPECT_EQ(FoldedString("Nicolás Maduro"), "nicolas maduro");
  EXPECT_EQ(FoldedString("Chávez"), "chavez");
  EXPECT_EQ(FoldedString("Guaidó"), "guaido");
  EXPECT_EQ(FoldedString("Yván"), "yvan");
  EXPECT_EQ(FoldedString("São Paulo"), "sao paulo");
  EXPECT_EQ(FoldedString("Zürich"), "zurich");
  EXPECT_EQ(FoldedString("ÇAĞLAYAN Şişli ñ Ñ"), "caglayan sisli n n");
}

TEST(FoldTest, DecomposedInputFoldsLikeComposed) {
  // "a" followed by a combining acute accent, as some feeds send it.
  EXPECT_EQ(FoldedString("Nicola\u0301s"), "nicolas");
}

TEST(FoldTest, MapsLettersWithoutDecomposition) {
  EXPECT_EQ(FoldedString("Ørsted"), "orsted");
  EXPECT_EQ(FoldedString("øØđĐłŁħĦıæÆœŒþÞðÐ"), "ooddllhhiaeaeoeoeththdd");
  EXPECT_EQ(FoldedString("Łódź"), "lodz");
  // Decomposes to a letter of the table plus an accent.
  EXPECT_EQ(FoldedString("Ǿ"), "o");
}

TEST(FoldTest, FullCaseFolding) {
  EXPECT_EQ(FoldedString("Straße"), "strasse");
  EXPECT_EQ(FoldedString("STRASSE"), "strasse");
  EXPECT_EQ(FoldedString("ẞ"), "ss");
  EXPECT_EQ(FoldedString("ΟΔΥΣΣΕΥΣ"), FoldedString("οδυσσευς"));
  EXPECT_EQ(FoldedString("Σς"), "σσ");
  EXPECT_EQ(FoldedString("Москва"), "москва");
  EXPECT_EQ(FoldedString("İstanbul"), "istanbul");
}

TEST(FoldTest, SharpSMatchMapsToTheWholeLetter) {
  const std::string original = "Straße";
  const FoldedText folded = Fold(original);
  ASSERT_EQ(folded.text, "strasse");
  // Only the first "s" of "ss".
  ByteRange range = OriginalRange(folded, 4, 5);
  EXPECT_EQ(original.substr(range.begin, range.end - range.begin), "ß");
  // Only the second "s".
  range = OriginalRange(folded, 5, 6);
  EXPECT_EQ(original.substr(range.begin, range.end - range.begin), "ß");
  range = OriginalRange(folded, 0, 5);
  EXPECT_EQ(original.substr(range.begin, range.end - range.begin), "Straß");
  EXPECT_EQ(OriginalOfMatch(original, "strasse"), "Straße");
}

TEST(FoldTest, TypographicQuotesAndDashes) {
  EXPECT_EQ(FoldedString("Russia’s"), FoldedString("Russia's"));
  EXPECT_EQ(FoldedString("‘a’ ‚b‛ 5′"), "'a' 'b' 5'");
  EXPECT_EQ(FoldedString("“a” „b‟ 5″ «c»"), "\"a\" \"b\" 5\" \"c\"");
  EXPECT_EQ(FoldedString("al\u2011Assad"), FoldedString("al-Assad"));
  EXPECT_EQ(FoldedString("\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-------");
}

TEST(FoldTest, WhiteSpaceVariantsBecomeSpaces) {
  EXPECT_EQ(FoldedString("a\u00A0b\u2002c\u2009d\u200Ae\u202Ff\u205Fg\u3000h"), "a b c d e f g h");
  EXPECT_EQ(FoldedString("a\tb\rc\fd"), "a b c d");
  EXPECT_EQ(FoldedString("first\nsecond\u2028third"), "first\nsecond third");
}

TEST(FoldTest, RemovesInvisibleCharacters) {
  EXPECT_EQ(FoldedString("Ma\u00ADdu\u200Bro\u200C\u200D\uFEFF"), "maduro");
  EXPECT_EQ(FoldedString("\uFEFFBOM"), "bom");
  EXPECT_EQ(OriginalOfMatch("x Ma\u00ADduro", "maduro"), "Ma\u00ADduro");
}

TEST(FoldTest, LeavesIdeographsAndOtherScriptsAlone) {
  EXPECT_EQ(FoldedString("北京 東京"), "北京 東京");
  EXPECT_EQ(FoldedString("😀"), "😀");
  EXPECT_EQ(FoldedString("ＡＢＣ"), "ａｂｃ");
}

TEST(FoldTest, OffsetsPointAtCodePointStarts) {
  for (std::string_view text : {"Presidente Nicolás MADURO dijo", "Straße in Zürich",
                                "Ørsted’s “deal”", "\u00A0\u3000x", "Ma\u00ADduro", "北京 ẞ Σ",
                                "\xFF"
                                "b"}) {
    ExpectOffsetsAtCodePointStarts(text);
  }
}

TEST(FoldTest, OriginalRangeOfAMatchIsTheOriginalWord) {
  const std::string original = "Presidente Nicolás MADURO dijo";
  EXPECT_EQ(OriginalOfMatch(original, "maduro"), "MADURO");
  EXPECT_EQ(OriginalOfMatch(original, "nicolas"), "Nicolás");
  EXPECT_EQ(OriginalOfMatch(original, "nicolas maduro"), "Nicolás MADURO");
  EXPECT_EQ(OriginalOfMatch("Ørsted’s “deal”", "orsted's"), "Ørsted’s");
  EXPECT_EQ(OriginalOfMatch("Ørsted’s “deal”", "\"deal\""), "“deal”");
  EXPECT_EQ(OriginalOfMatch("x al\u2011Assad y", "al-assad"), "al\u2011Assad");
}

TEST(FoldTest, OriginalRangeClampsAndHandlesEmptyRanges) {
  const std::string original = "Zürich";
  const FoldedText folded = Fold(original);
  ASSERT_EQ(folded.text, "zurich");
  ByteRange range = OriginalRange(folded, 2, 2);
  EXPECT_EQ(range.begin, 3u);
  EXPECT_EQ(range.end, 3u);
  range = OriginalRange(folded, 4, 100);
  EXPECT_EQ(original.substr(range.begin, range.end - range.begin), "ch");
  range = OriginalRange(folded, 100, 200);
  EXPECT_EQ(range.begin, original.size());
  EXPECT_EQ(range.end, original.size());
}

TEST(FoldTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(FoldedString("a\xFF"
                         "b"),
            "a\uFFFDb");
  // A truncated three-byte sequence: each of its bytes is invalid on its own.
  EXPECT_EQ(FoldedString("x\xE2\x82"), "x\uFFFD\uFFFD");
  EXPECT_EQ(FoldedString("\xE2\x82Y"), "\uFFFD\uFFFDy");
  // Overlong encoding of '/', an encoded surrogate, a stray continuation byte.
  EXPECT_EQ(FoldedString("\xC0\xAF"), "\uFFFD\uFFFD");
  EXPECT_EQ(FoldedString("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(FoldedString("\x80"), "\uFFFD");
  // A valid replacement character stays one.
  EXPECT_EQ(FoldedString("\uFFFD"), "\uFFFD");

  const std::string original =
      "a\xFF"
      "b";
  const FoldedText folded = Fold(original);
  const ByteRange range = OriginalRange(folded, 1, 4);
  EXPECT_EQ(range.begin, 1u);
  EXPECT_EQ(range.end, 2u);

  // Each replacement character points at the invalid byte it stands for, even a stray
  // continuation byte.
  const FoldedText truncated = Fold("x\xE2\x82");
  ASSERT_EQ(truncated.source_offsets.size(), 8u);
  EXPECT_EQ(truncated.source_offsets[1], 1u);
  EXPECT_EQ(truncated.source_offsets[3], 1u);
  EXPECT_EQ(truncated.source_offsets[4], 2u);
  EXPECT_EQ(truncated.source_offsets[6], 2u);
  EXPECT_EQ(truncated.source_offsets[7], 3u);
}

TEST(FoldTest, FoldIntoReusesTheSameObject) {
  FoldedText folded;
  std::string long_text;
  for (int repeat = 0; repeat < 200; ++repeat) long_text += "Nicolás MADURO in Zürich, Straße. ";
  FoldInto(long_text, folded);
  ASSERT_EQ(folded.source_offsets.size(), folded.text.size() + 1);
  EXPECT_EQ(folded.text.substr(0, 34), "nicolas maduro in zurich, strasse.");

  FoldInto("Ørsted", folded);
  EXPECT_EQ(folded.text, "orsted");
  ASSERT_EQ(folded.source_offsets.size(), 7u);
  EXPECT_EQ(folded.source_offsets[0], 0u);
  EXPECT_EQ(folded.source_offsets[1], 2u);
  EXPECT_EQ(folded.source_offsets[6], 7u);
  EXPECT_EQ(folded.source_offsets, Fold("Ørsted").source_offsets);

  FoldInto("", folded);
  EXPECT_EQ(folded.text, "");
  ASSERT_EQ(folded.source_offsets.size(), 1u);
  EXPECT_EQ(folded.source_offsets[0], 0u);
}

TEST(FoldTest, ExpandingTextGrowsTheBuffers) {
  // Each two-byte "ß" folds to two bytes and each one-byte invalid byte to three, so the output
  // outgrows the input size it was first sized for.
  std::string original;
  for (int repeat = 0; repeat < 500; ++repeat) original += "\xFFß\u0390";
  const FoldedText folded = Fold(original);
  std::string expected;
  for (int repeat = 0; repeat < 500; ++repeat) expected += "\uFFFDss\u03B9";
  EXPECT_EQ(folded.text, expected);
  ExpectOffsetsAtCodePointStarts(original);
}

}  // namespace
}  // namespace newswire::pipeline
