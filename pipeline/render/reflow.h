#pragma once
// render: redactions that carry no width. A box as wide as the text it hides gives the text
// away: typeset each candidate in the page's font, and few have that width (Bland, Iyer and
// Levchenko, PoPETs 2023, measured it on our own releases). So every redaction box is redrawn
// at a quantised width, whole units (1 cm by default) rounded up, and the rest of its line is
// moved to fit, in the pixels here and, through the returned LineMoves, in the text layer:
// the kept words after a box no longer sit where the draft had them, and neither the box nor
// the gap between its neighbours measures the removed text.
//
// The line's right end: a line that reached the page's text edge (a full or justified line)
// is made to reach it again, and one the wider boxes would push past it is brought back to
// it, by condensing what follows the first box on that line; any other line simply ends
// where the shift puts it. Each piece of a redaction that wraps over lines is a box of its own
// line and is quantised the same way. Thread-safe.

#include <utility>
#include <vector>

#include "pipeline/core/types.h"
#include "pipeline/render/release_page.h"

namespace redact {

struct ReflowOptions {
  double unit_points = 72.0 / 2.54;  // 1 cm
  // A line whose ink ends this close to the text edge (points) counts as full.
  double full_line_tolerance = 4;
  double box_padding = 1;  // points the boxes were padded by around their characters
};

// One redrawn line: its band, and where each kept piece of it went.
struct LineMove {
  double y0 = 0, y1 = 0;  // the band, points
  struct Piece {
    double x0 = 0, x1 = 0;  // where it was (points)
    double new_x0 = 0;      // where it starts now
    double scale = 1;       // horizontal scale (below 1 when condensed to fit)
  };
  std::vector<Piece> pieces;  // the kept stretches after the line's first box, in order
};

// Redraws every line of `page` holding a box of `boxes` (points): the boxes are replaced by
// their quantised ones (not yet burnt in: RenderReleasePage does that) and the pixels of the
// line's band after its first box are rewritten, so that nothing of the old band remains
// there. `words`: the boxes of the words kept on the page (their lines' bands include them).
// `text_right`: the page's text edge (the right-most end of a text line on it), points.
std::vector<LineMove> ReflowRedactions(GrayImage* page, std::vector<LabelledBox>* boxes,
                                       const std::vector<Box>& words, double text_right,
                                       const ReflowOptions& options = {});

// Where the point x (points) of the old page lands on the line of `moves` whose band holds
// height y; x itself when it is on no redrawn line or before the line's first box.
double MovedX(const std::vector<LineMove>& moves, double x, double y);

// The same for a kept word's box: moved (and, if its line was condensed, narrowed) with its
// piece.
Box MovedBox(const std::vector<LineMove>& moves, const Box& box);

// The pixel rows ([first, last) each) of `page` that ReflowRedactions, given the boxes
// `before` and returning `moves` (and the boxes it left), and RenderReleasePage, given the
// boxes `after` (those and any others it burns), may have written: each box and band rounded
// outward, and a row more each side. Rows outside them are as they were.
std::vector<std::pair<int, int>> RedrawnRows(const GrayImage& page,
                                             const std::vector<LabelledBox>& before,
                                             const std::vector<LabelledBox>& after,
                                             const std::vector<LineMove>& moves);

// The quantised width of a box `width` points wide: whole units, at least one, rounded up.
double QuantisedWidth(double width, const ReflowOptions& options = {});

}  // namespace redact
