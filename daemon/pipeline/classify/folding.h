#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newswire::pipeline {

// The matching form of a text, and the way back to the original bytes. Rules and gazetteers are
// folded the same way, so matching on `text` is case- and accent-insensitive and treats
// typographic quotes, dashes and spaces as their plain ASCII forms.
//
// Folding, code point by code point:
// - ASCII letters are lowercased; tab, vertical tab, form feed and carriage return become ' ';
//   '`' becomes '\''; the rest of ASCII (including '\n', so paragraph boundaries survive) is kept.
// - Other code points: Unicode full case folding, then canonical decomposition (NFD) with every
//   nonspacing mark (Mn) removed ("Á" -> "a", "ß" -> "ss", "ς" -> "σ"); letters that do not
//   decompose map by a table (ø -> o, đ -> d, ł -> l, ħ -> h, ı -> i, æ -> ae, œ -> oe, þ -> th,
//   ð -> d, and their capitals).
// - ‘ ’ ‚ ‛ ′ become '\''; “ ” „ ‟ ″ « » become '"'; U+2010..U+2015 and U+2212 become '-'; every
//   other White_Space character becomes ' '.
// - Soft hyphen, U+200B..U+200D, U+2060 and U+FEFF produce nothing.
// - Each byte that does not begin a valid UTF-8 sequence becomes U+FFFD.
struct FoldedText {
  std::string text;  // folded UTF-8
  // source_offsets[i] = byte offset in the original of the code point that produced folded byte
  // i; size text.size() + 1, the last entry = original size. So a folded match [b, e) maps back
  // to original [source_offsets[b], source_offsets[e]) -- provided e is at a code point boundary
  // of the folded text that starts a new source code point; see OriginalRange.
  std::vector<std::uint32_t> source_offsets;
};

// Folds `utf8` into `out`, reusing out's buffers (hot path: one FoldedText per worker thread is
// reused for every article). `utf8` must be shorter than 4 GiB, as offsets are 32-bit, and must
// not point into `out.text`.
// Thread-safe; the first call builds a shared table of folded forms (a few milliseconds).
void FoldInto(std::string_view utf8, FoldedText& out);
FoldedText Fold(std::string_view utf8);

// A half-open byte range [begin, end).
struct ByteRange {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The original byte range of folded bytes [begin, end): begins at the start of the source code
// point of byte `begin`, ends at the end of the source code point of byte end-1 (so "ß" folded
// to "ss", a match on the first "s" maps to the whole "ß"). Code points that fold to nothing
// (soft hyphen, zero-width characters, lone combining marks) directly after the match are
// included, as the folded text keeps no trace of where they begin. An empty range maps to an
// empty range at the source offset of `begin`; arguments past the end are clamped.
ByteRange OriginalRange(const FoldedText& folded, std::size_t begin, std::size_t end);

}  // namespace newswire::pipeline
