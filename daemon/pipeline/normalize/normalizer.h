#pragma once

#include <string>
#include <string_view>

#include "daemon/core/article.h"
#include "daemon/core/error.h"

namespace newswire::pipeline {

// The second stage: cleans a decoded article's text and gives it its id. Called by
// Pipeline::Process on every decoded article; pure and thread-safe.
//
// - title and subtitle become one line, the body keeps its paragraphs: line breaks (LF, CR, VT,
//   FF, NEL, U+2028, U+2029) separate paragraphs, empty paragraphs are dropped, and paragraphs
//   are joined by exactly "\n\n";
// - inside a line, every run of Unicode White_Space (space, tab, NBSP, U+2000..U+200A, ...)
//   becomes one ASCII space, and the line is trimmed;
// - other control characters (C0, DEL, C1) and stray byte order marks (U+FEFF) are removed;
// - the text is put in Unicode NFC (ICU), so "e" + U+0301 and "é" give the same article.
//
// Then stats.paragraphs (body), stats.words (whitespace-separated tokens with at least one
// letter or digit, title and body) and stats.characters (code points of title and body) are
// set, and the identities (id, fingerprints.content_hash and fingerprints.revision; identity.h).
// Last, an article without a title gets derived_title, the first sentence of its body
// (DeriveTitle, derived_title.h), with flags.title_derived and provenance "title":
// "first_sentence"; `title` stays empty, so the derived title enters neither the id, the
// revision, the statistics nor the classifier.
//
// Fails with kEmptyInput (stage normalize) when title and body are both empty afterwards, or
// hold no word at all ("!!!!!", a line of brackets).
Result<Article> Normalize(Article article);

}  // namespace newswire::pipeline
