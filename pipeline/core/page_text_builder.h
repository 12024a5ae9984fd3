#pragma once
// Joins a page's words, in reading order, into one matchable string with a map from every
// byte back to the character it came from; and the two other readings of the same words
// (every word on its own, tables cell by cell). Pure geometry over the core types, so extract
// (which builds a page's text), detect and verify (which read it three ways) share it without
// depending on one another.

#include <vector>

#include "pipeline/core/types.h"

namespace redact {

// Reading order comes from geometry, as a reader sees the page: words are grouped into lines
// by their baselines; a run of lines split by a gutter reads column by column when both sides
// are prose (a two-column page) and row by row otherwise (a table, a tab-aligned form: label
// then value). Pages read by OCR alone keep Tesseract's order. PageText::words holds the
// words in that order.
// Words on one line are separated by ' ' where the layout had a space (`space_after[i]`) or
// where they are drawn apart by more than a space's width (table cells, tab stops, columns
// have no space character between them); letter-spaced runs of single glyphs read as words.
// Lines are separated by '\n'. A line ending in a hyphen after a letter, followed by a line
// starting with a lower-case letter, is joined without the hyphen ("Commu-\nnications" reads
// "Communications"); the hyphen is recorded in PageText::joins so a match across it boxes it.
// REQUIRES: space_after.size() == words.size(); every word has one char box per code point.
PageText BuildPageText(int page, double width, double height, std::vector<Word> words,
                       const std::vector<bool>& space_after);

// A second reading of the same words in the same order, with every word on its own: a space
// between any two words of a line, a line break where `page` had one (or joined a hyphen).
// Detection and the self-check both run it, so a join that hides a match from one reading
// does not hide it from the other.
PageText EveryWordSeparated(const PageText& page);

// A third reading, of the tables on the page alone: each cell's lines in one piece, cells and
// rows on lines of their own. A word that a narrow cell broke over lines
// ("mdm01.corp" / ".example.pol" / "ice.uk") is joined again where its line reached the
// cell's edge or ended in a hyphen; other lines of a cell are joined by a space
// ("PC 1187 Jo" / "Bell"). Columns come from where cells start; a line continues the row
// above while every cell on it holds words that did not fit on the line above. Empty text if
// the page has no table. Same words as `page`, so spans map back with SpansInOtherReading.
PageText CellReading(const PageText& page);

// The spans of `to` that hold the same characters as bytes [begin, end) of `from`, two
// readings of the same words: one span where `to` reads them in the same order, several where
// it does not (a cell's lines, far apart in a reading row by row). Empty if the span holds no
// character of a word.
std::vector<std::pair<size_t, size_t>> SpansInOtherReading(const PageText& from, size_t begin,
                                                           size_t end, const PageText& to);

// True if `b` starts a new line after `a` (not on the same baseline band, or going back left).
bool StartsNewLine(const Box& a, const Box& b);

}  // namespace redact
