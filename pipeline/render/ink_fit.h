#pragma once
// render: boxes fitted to the ink of the page they are burnt into. A box computed from OCR
// character boxes can stop short of its word's last glyph (Tesseract's LSTM places symbol
// boxes roughly), leaving "▮▮▮ n, TX" in the release; a box from a PDF's font metrics can be
// taller than its line (Poppler falls back to 0.95 em above and 0.35 em below the baseline for
// a font whose descriptor states no ascent and descent, as LibreOffice writes them), reaching
// into the line below. So, before a page's boxes are used:
//   - the words of a text layer are fitted to their own ink, top and bottom;
//   - each box is kept out of the words of the lines above and below it;
//   - each box is grown sideways over the ink joined to its ends within its line, up to a gap
//     a space wide: the rest of a glyph, the rest of a word (a name is redacted whole).
// The grown box is what the release erases; its drawn width still follows the rules of
// render/reflow.h. Thread-safe.

#include <vector>

#include "pipeline/core/types.h"
#include "pipeline/render/release_page.h"

namespace redact {

struct InkFitOptions {
  // Vertically, within a word's box: a blank gap of at most this share of the box's height
  // still joins ink to the word (an i's dot, an accent); a wider one is another line's.
  double accent_gap = 0.1;
  // Sideways: a gap wider than this share of the box's height ends the word (a space is
  // about a third of an em, the gaps between letters of a word a tenth).
  double word_gap = 0.2;
  // A box grows by at most this many times its height at either end (an underline or a rule
  // joining the whole line must not carry the box along it).
  double max_growth = 3;
  double margin = 0.5;     // points of paper past the last ink reached (antialiasing)
  double box_padding = 1;  // points the boxes were padded by around their characters
  double line_gap = 0.5;   // points of paper a box leaves above and below another line's words
};

// `box` (points) fitted vertically to the ink of `page` in its columns: the rows of ink joined
// to its densest row, gaps up to `accent_gap` bridged; never larger than `box`, and `box` as
// it is where it holds no ink.
Box FitToInk(const GrayImage& page, const Box& box, const InkFitOptions& options = {});

// Each box of `boxes` (points) kept out of the words of `words` (points, fitted to their ink)
// on other lines that share its columns, then grown sideways over the ink joined to its ends
// on its line (see above).
void GrowBoxesToInk(const GrayImage& page, const std::vector<Box>& words,
                    std::vector<LabelledBox>* boxes, const InkFitOptions& options = {});

}  // namespace redact
