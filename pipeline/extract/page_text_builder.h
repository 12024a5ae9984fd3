#pragma once
// Joins a page's words, in reading order, into one matchable string with a map from every
// byte back to the character it came from.

#include <vector>

#include "pipeline/core/types.h"

namespace redact {

// Words on the same line are separated by ' ' when `space_after[i]` (or by nothing);
// lines by '\n'. A line ending in a hyphen after a letter, followed by a line starting with a
// lower-case letter, is joined without the hyphen ("Commu-\nnications" reads "Communications");
// the hyphen is recorded in PageText::joins so a match across it boxes it too.
// REQUIRES: space_after.size() == words.size(); every word has one char box per code point.
PageText BuildPageText(int page, double width, double height, std::vector<Word> words,
                       const std::vector<bool>& space_after);

// True if `b` starts a new line after `a` (not on the same baseline band, or going back left).
bool StartsNewLine(const Box& a, const Box& b);

}  // namespace redact
