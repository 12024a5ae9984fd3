#include "pipeline/render/reflow.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace redact {
namespace {

// One thing on a line: a kept word or a redaction box (points).
struct Element {
  double x0, x1;
  int box = -1;  // index into the group's boxes, or -1 for a word
  double new_x0 = 0;
  double scale = 1;  // below 1: condensed to keep the line within its edge
};

// A gap this wide or wider is a space between words (narrower: the pieces of one word).
constexpr double kSpace = 1.0;

bool SameLine(const Box& a, const Box& b) {
  const double overlap = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  return overlap > 0.5 * std::min(a.height(), b.height());
}

int ToPx(double points, double scale, int limit) {
  return std::clamp(int(std::lround(points * scale)), 0, limit);
}

// Lays out elements[a..b] of one line again (see ReflowRedactions): new positions, the band's
// pixels from elements[a] to the further end rewritten, the moved words in `move`, the
// quantised boxes in `out`. Returns where the rewritten band ends (points).
double LayOutRun(GrayImage* page, double scale, const Box& band,
                 const std::vector<LabelledBox>& merged, double limit, const ReflowOptions& options,
                 std::vector<Element>* elements_in, size_t a, size_t b, LineMove* move,
                 std::vector<LabelledBox>* out) {
  std::vector<Element>& elements = *elements_in;
  auto width_of = [&](const Element& e) {
    if (e.box < 0) return e.x1 - e.x0;
    const double fixed = merged[size_t(e.box)].fixed_width;
    return fixed > 0 ? fixed : QuantisedWidth(e.x1 - e.x0, options);
  };
  // The run starts where it did; each element keeps its own width (a box its quantised one)
  // and each gap its width, plus delta for every space between words.
  double natural_end = elements[a].x0, min_space = 1e9;
  int spaces = 0;
  for (size_t k = a; k <= b; ++k) {
    if (k > a) {
      const double gap = elements[k].x0 - elements[k - 1].x1;
      natural_end += gap;
      if (gap >= kSpace) {
        ++spaces;
        min_space = std::min(min_space, gap);
      }
    }
    natural_end += width_of(elements[k]);
  }
  const double old_end = elements[b].x1;
  // A line that reached the edge reaches it again (justified text stays justified, and its
  // spaces, all alike, say nothing of the text removed); one pushed past it is brought back.
  const bool full = old_end >= limit - options.full_line_tolerance;
  const double target = full || natural_end > limit ? limit : natural_end;
  double delta = spaces > 0 ? (target - natural_end) / spaces : 0;
  // Spaces shrink to half of what they were at most; what is still too long is condensed:
  // the words after the run's first box, narrowed alike (to 70% at most, past which the
  // line runs long). Either way the end is the edge, whatever the box hid.
  if (spaces > 0) delta = std::max(delta, -0.5 * min_space);
  double squeeze = 1;
  size_t first_box = a;
  while (first_box < b && elements[first_box].box < 0) ++first_box;
  double after = 0;  // width of the words after the first box
  for (size_t k = first_box + 1; k <= b; ++k) {
    if (elements[k].box < 0) after += elements[k].x1 - elements[k].x0;
  }
  const double end_with_delta = natural_end + delta * spaces;
  if (end_with_delta > target + 0.25 && after > 0) {
    squeeze = std::max(0.7, 1 - (end_with_delta - target) / after);
  }
  double cursor = elements[a].x0;
  for (size_t k = a; k <= b; ++k) {
    if (k > a) {
      const double gap = elements[k].x0 - elements[k - 1].x1;
      cursor += gap + (gap >= kSpace ? delta : 0);
    }
    elements[k].new_x0 = cursor;
    elements[k].scale = k > first_box && elements[k].box < 0 ? squeeze : 1;
    cursor += width_of(elements[k]) * elements[k].scale;
  }
  const double new_end = cursor;
  // Pixels: the band from the run's start to whichever end is further is rewritten from a
  // copy: paper, then each kept word at its new place (the boxes are burnt in later).
  const int y0 = ToPx(band.y0, scale, page->height), y1 = ToPx(band.y1, scale, page->height);
  const int x0 = ToPx(elements[a].x0, scale, page->width);
  const int x1 = ToPx(std::max(old_end, new_end), scale, page->width);
  if (x1 > x0 && y1 > y0) {
    const size_t row = size_t(page->width);
    std::vector<uint8_t> old(size_t(y1 - y0) * row);
    std::memcpy(old.data(), page->pixels.data() + size_t(y0) * row, old.size());
    for (int y = y0; y < y1; ++y) {
      std::memset(page->pixels.data() + size_t(y) * row + size_t(x0), 255, size_t(x1 - x0));
    }
    // The old boxes, padding and all, go to paper too: what they covered outside the band
    // must not show once they are drawn elsewhere.
    for (size_t k = a; k <= b; ++k) {
      if (elements[k].box < 0) continue;
      const Box& ob = merged[size_t(elements[k].box)].box;
      const int bx0 = ToPx(ob.x0, scale, page->width), bx1 = ToPx(ob.x1, scale, page->width);
      const int by0 = ToPx(ob.y0, scale, page->height), by1 = ToPx(ob.y1, scale, page->height);
      for (int y = by0; y < by1 && bx1 > bx0; ++y) {
        std::memset(page->pixels.data() + size_t(y) * row + size_t(bx0), 255, size_t(bx1 - bx0));
      }
    }
    for (size_t k = a; k <= b; ++k) {
      if (elements[k].box >= 0) continue;
      // Never a column of a box's span: what the box hid stays hidden.
      double from = elements[k].x0, to = elements[k].x1;
      for (const LabelledBox& mb : merged) {
        if (mb.box.x0 <= from && mb.box.x1 > from) from = mb.box.x1;
        if (mb.box.x0 < to && mb.box.x1 >= to) to = mb.box.x0;
      }
      const double sq = elements[k].scale;
      const int sx0 = ToPx(from, scale, page->width), sx1 = ToPx(to, scale, page->width);
      const int dx0 = ToPx(elements[k].new_x0 + (from - elements[k].x0) * sq, scale, page->width);
      const int n = std::min(int(std::lround((sx1 - sx0) * sq)), page->width - dx0);
      if (n <= 0 || sx1 <= sx0) continue;
      for (int y = y0; y < y1; ++y) {
        uint8_t* dst = page->pixels.data() + size_t(y) * row + size_t(dx0);
        const uint8_t* src = old.data() + size_t(y - y0) * row + size_t(sx0);
        if (sq == 1) {
          std::memcpy(dst, src, size_t(n));
          continue;
        }
        // Condensed: each column from the darkest of the columns it stands for, so that thin
        // strokes stay.
        for (int x = 0; x < n; ++x) {
          const int c0 = std::min(sx1 - sx0 - 1, int(x / sq));
          const int c1 = std::min(sx1 - sx0 - 1, int((x + 1) / sq));
          uint8_t v = 255;
          for (int c = c0; c <= c1; ++c) v = std::min(v, src[c]);
          dst[x] = v;
        }
      }
    }
  }
  for (size_t k = a; k <= b; ++k) {
    if (elements[k].box >= 0) {
      LabelledBox nb = merged[size_t(elements[k].box)];
      nb.box.x0 = elements[k].new_x0;
      nb.box.x1 = elements[k].new_x0 + width_of(elements[k]);
      out->push_back(nb);
    } else {
      move->pieces.push_back(
          {elements[k].x0, elements[k].x1, elements[k].new_x0, elements[k].scale});
    }
  }
  return std::max(old_end, new_end);
}

}  // namespace

double QuantisedWidth(double width, const ReflowOptions& options) {
  const double units = std::max(1.0, std::ceil(width / options.unit_points - 1e-9));
  return units * options.unit_points;
}

std::vector<LineMove> ReflowRedactions(GrayImage* page, std::vector<LabelledBox>* boxes,
                                       const std::vector<Box>& words, double text_right,
                                       const ReflowOptions& options) {
  std::vector<LineMove> moves;
  if (boxes->empty() || page->width <= 0 || page->height <= 0 ||
      page->pixels.size() != size_t(page->width) * size_t(page->height)) {
    return moves;
  }
  const double scale = page->dpi / 72.0;
  // First, every box's place goes to paper, rounded outward as boxes are burnt: whatever is
  // copied or moved below, nothing under an old box can travel with it, and a box drawn
  // elsewhere leaves nothing behind.
  for (const LabelledBox& b : *boxes) {
    const int bx0 = std::clamp(int(std::floor(b.box.x0 * scale)), 0, page->width);
    const int bx1 = std::clamp(int(std::ceil(b.box.x1 * scale)), 0, page->width);
    const int by0 = std::clamp(int(std::floor(b.box.y0 * scale)), 0, page->height);
    const int by1 = std::clamp(int(std::ceil(b.box.y1 * scale)), 0, page->height);
    for (int y = by0; y < by1 && bx1 > bx0; ++y) {
      std::memset(page->pixels.data() + size_t(y) * size_t(page->width) + size_t(bx0), 255,
                  size_t(bx1 - bx0));
    }
  }
  // The text edge no further than the page (an off-page word must not size what follows).
  text_right = std::clamp(text_right, 0.0, page->width / scale);
  // Lines: boxes that share a band, top to bottom; overlapping boxes on a line become one.
  std::vector<LabelledBox> sorted = *boxes;
  std::sort(sorted.begin(), sorted.end(), [](const LabelledBox& a, const LabelledBox& b) {
    return a.box.y0 + a.box.y1 < b.box.y0 + b.box.y1;
  });
  std::vector<std::vector<LabelledBox>> lines;
  for (const LabelledBox& b : sorted) {
    // Against every box of the line so far, not its first: boxes of two columns whose
    // baselines differ a little still join the line their neighbours are on.
    const bool joins =
        !lines.empty() && std::any_of(lines.back().begin(), lines.back().end(),
                                      [&](const LabelledBox& o) { return SameLine(o.box, b.box); });
    if (joins) {
      lines.back().push_back(b);
    } else {
      lines.push_back({b});
    }
  }
  // Where the page's text runs, column by column (one count per point of width): a gap on
  // a line that crosses x where hardly any line of the page has a word is a gutter between
  // columns or table cells, not a space, and what is on its other side is left alone.
  std::vector<int> coverage(size_t(std::max(1.0, std::ceil(text_right)) + 2), 0);
  auto cover = [&](const Box& w) {
    for (int x = std::max(0, int(w.x0)); x < int(w.x1) && size_t(x) < coverage.size(); ++x) {
      ++coverage[size_t(x)];
    }
  };
  for (const Box& w : words) cover(w);
  for (const LabelledBox& b : *boxes) cover(b.box);
  const int most = *std::max_element(coverage.begin(), coverage.end());
  auto is_gutter = [&](double g0, double g1) {
    if (most < 4) return false;  // too few lines to tell a gutter from a space
    int least = most;
    for (int x = std::max(0, int(std::ceil(g0))); x < int(g1) && size_t(x) < coverage.size(); ++x) {
      least = std::min(least, coverage[size_t(x)]);
    }
    return least <= most / 8;
  };
  std::vector<LabelledBox> out;
  // The bands rewritten so far (x0, x1, y1): a band is kept out of those above it that
  // share its columns only (a line of the next column may sit a little higher).
  struct Done {
    double x0, x1, y1;
  };
  std::vector<Done> done;
  for (std::vector<LabelledBox>& line : lines) {
    std::sort(line.begin(), line.end(),
              [](const LabelledBox& a, const LabelledBox& b) { return a.box.x0 < b.box.x0; });
    std::vector<LabelledBox> merged;
    for (const LabelledBox& b : line) {
      if (!merged.empty() && b.box.x0 <= merged.back().box.x1) {
        merged.back().box = merged.back().box.United(b.box);
        merged.back().fixed_width = std::max(merged.back().fixed_width, b.fixed_width);
      } else {
        merged.push_back(b);
      }
    }
    // The band: the boxes' height without their padding (which reaches into the next
    // lines' ascenders and descenders), grown a little for taller words of the same line
    // (OCR boxes fit each word's ink).
    Box box_band = merged.front().box;
    for (const LabelledBox& b : merged) box_band = box_band.United(b.box);
    Box band = box_band;
    const double pad = std::min(options.box_padding, box_band.height() / 4);
    band.y0 += pad;
    band.y1 -= pad;
    const double grow = box_band.height() / 4;
    std::vector<Element> elements;
    for (size_t i = 0; i < merged.size(); ++i) {
      elements.push_back({merged[i].box.x0, merged[i].box.x1, int(i)});
    }
    for (const Box& w : words) {
      const double cy = (w.y0 + w.y1) / 2;
      if (cy < box_band.y0 || cy > box_band.y1) continue;
      const double cx = (w.x0 + w.x1) / 2;
      bool under_box = false;
      for (const LabelledBox& b : merged) under_box |= cx > b.box.x0 && cx < b.box.x1;
      if (under_box) continue;  // a sliver kept inside a box's span: the box covers it
      elements.push_back({w.x0, w.x1, -1});
      band.y0 = std::min(band.y0, std::max(w.y0, box_band.y0 - grow));
      band.y1 = std::max(band.y1, std::min(w.y1, box_band.y1 + grow));
    }
    std::sort(elements.begin(), elements.end(),
              [](const Element& a, const Element& b) { return a.x0 < b.x0; });
    // Glyphs reach past their words' boxes (an i's dot, a t's top, a descender): the band
    // goes on into the space between this line and the lines either side, to halfway (a
    // third of the line's height where there is none), so that no part of a moved word stays
    // at its old place, where it would tell how wide the box there was.
    {
      const double line_x0 = elements.front().x0;
      double line_x1 = line_x0;
      for (const Element& e : elements) line_x1 = std::max(line_x1, e.x1);
      double above = band.y0 - box_band.height() / 3, below = band.y1 + box_band.height() / 3;
      for (const Box& w : words) {
        const double cy = (w.y0 + w.y1) / 2;
        if (w.x1 <= line_x0 || w.x0 >= line_x1) continue;
        if (cy < box_band.y0 && w.y1 <= band.y0) above = std::max(above, (w.y1 + band.y0) / 2);
        if (cy > box_band.y1 && w.y0 >= band.y1) below = std::min(below, (w.y0 + band.y1) / 2);
      }
      band.y0 = above;
      band.y1 = below;
    }
    // Never into the band of a line above in the same columns, unless that would leave none
    // (boxes of two findings stacked on one line): then the boxes' own band, so that every
    // box is still redrawn.
    const double line_x0 = elements.front().x0;
    double line_x1 = line_x0;
    for (const Element& e : elements) line_x1 = std::max(line_x1, e.x1);
    double above_end = -1e9;
    for (const Done& d : done) {
      if (d.x0 < line_x1 && d.x1 > line_x0) above_end = std::max(above_end, d.y1);
    }
    if (std::max(band.y0, above_end) < band.y1) band.y0 = std::max(band.y0, above_end);
    // Runs of the line: words joined by spaces, split where a gap is as wide as a table's
    // column break. Each run holding a box is laid out again; the others are left alone.
    const double column_gap = 2.5 * box_band.height();
    LineMove move;
    move.y0 = band.y0;
    move.y1 = band.y1;
    size_t a = 0;
    while (a < elements.size()) {
      size_t b = a;
      while (b + 1 < elements.size() && elements[b + 1].x0 - elements[b].x1 < column_gap &&
             !is_gutter(elements[b].x1, elements[b + 1].x0)) {
        ++b;
      }
      bool has_box = false;
      for (size_t k = a; k <= b; ++k) has_box |= elements[k].box >= 0;
      if (has_box) {
        // The edge the run may reach: the page's text edge, or before another column, that
        // column's own edge (where the page's lines starting with it end), never into the
        // gutter.
        double limit = std::max(text_right, elements[b].x1);
        if (b + 1 < elements.size()) {
          const double next_x0 = elements[b + 1].x0;
          limit = elements[b].x1;
          for (const Box& w : words) {
            if (w.x0 >= elements[a].x0 - 2 && w.x1 < next_x0) {
              limit = std::max(limit, w.x1);
            }
          }
        }
        const double end =
            LayOutRun(page, scale, band, merged, limit, options, &elements, a, b, &move, &out);
        done.push_back({elements[a].x0, end, band.y1});
      }
      a = b + 1;
    }
    moves.push_back(std::move(move));
  }
  *boxes = std::move(out);
  return moves;
}

std::vector<std::pair<int, int>> RedrawnRows(const GrayImage& page,
                                             const std::vector<LabelledBox>& before,
                                             const std::vector<LabelledBox>& after,
                                             const std::vector<LineMove>& moves) {
  const double scale = page.dpi / 72.0;
  std::vector<std::pair<int, int>> rows;
  auto add = [&](double y0, double y1) {
    const int first = std::clamp(int(std::floor(y0 * scale)) - 1, 0, page.height);
    const int last = std::clamp(int(std::ceil(y1 * scale)) + 1, 0, page.height);
    if (last > first) rows.emplace_back(first, last);
  };
  for (const LabelledBox& b : before) add(b.box.y0, b.box.y1);
  for (const LabelledBox& b : after) add(b.box.y0, b.box.y1);
  for (const LineMove& m : moves) add(m.y0, m.y1);
  return rows;
}

double MovedX(const std::vector<LineMove>& moves, double x, double y) {
  for (const LineMove& m : moves) {
    if (y < m.y0 || y > m.y1) continue;
    for (const LineMove::Piece& p : m.pieces) {
      if (x >= p.x0 - 1e-6 && x <= p.x1 + 1e-6) return p.new_x0 + (x - p.x0) * p.scale;
    }
  }
  return x;
}

Box MovedBox(const std::vector<LineMove>& moves, const Box& box) {
  const double cy = (box.y0 + box.y1) / 2;
  for (const LineMove& m : moves) {
    if (cy < m.y0 || cy > m.y1) continue;
    for (const LineMove::Piece& p : m.pieces) {
      if (box.x0 >= p.x0 - 1e-6 && box.x1 <= p.x1 + 1e-6) {
        Box out = box;
        out.x0 = p.new_x0 + (box.x0 - p.x0) * p.scale;
        out.x1 = p.new_x0 + (box.x1 - p.x0) * p.scale;
        return out;
      }
    }
  }
  return box;
}

}  // namespace redact
