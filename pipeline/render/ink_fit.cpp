#include "pipeline/render/ink_fit.h"

#include <algorithm>
#include <cmath>

namespace redact {
namespace {

// A box in pixels, [x0, x1) x [y0, y1), within the page.
struct PixelBox {
  int x0, y0, x1, y1;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

PixelBox ToPixels(const GrayImage& page, const Box& b) {
  const double s = page.dpi / 72.0;
  return {std::clamp(int(std::floor(b.x0 * s)), 0, page.width),
          std::clamp(int(std::floor(b.y0 * s)), 0, page.height),
          std::clamp(int(std::ceil(b.x1 * s)), 0, page.width),
          std::clamp(int(std::ceil(b.y1 * s)), 0, page.height)};
}

bool Usable(const GrayImage& page) {
  return page.width > 0 && page.height > 0 && page.dpi > 0 &&
         page.pixels.size() == size_t(page.width) * size_t(page.height);
}

const uint8_t* Row(const GrayImage& page, int y) {
  return page.pixels.data() + size_t(y) * size_t(page.width);
}

// Whether column x holds ink in rows [y0, y1).
bool ColumnHasInk(const GrayImage& page, int x, int y0, int y1) {
  for (int y = y0; y < y1; ++y) {
    if (IsInk(Row(page, y)[x])) return true;
  }
  return false;
}

}  // namespace

Box FitToInk(const GrayImage& page, const Box& box, const InkFitOptions& options) {
  if (!Usable(page)) return box;
  const PixelBox r = ToPixels(page, box);
  if (r.empty()) return box;
  std::vector<int> ink(size_t(r.y1 - r.y0), 0);
  for (int y = r.y0; y < r.y1; ++y) {
    const uint8_t* row = Row(page, y);
    int n = 0;
    for (int x = r.x0; x < r.x1; ++x) n += IsInk(row[x]);
    ink[size_t(y - r.y0)] = n;
  }
  const auto densest = std::max_element(ink.begin(), ink.end());
  if (*densest == 0) return box;
  const int core = int(densest - ink.begin());
  const int bridge = std::max(1, int(std::lround(options.accent_gap * (r.y1 - r.y0))));
  int top = core, bottom = core;
  for (int y = core - 1, blank = 0; y >= 0; --y) {
    if (ink[size_t(y)] > 0) {
      top = y;
      blank = 0;
    } else if (++blank > bridge) {
      break;
    }
  }
  for (int y = core + 1, blank = 0; y < int(ink.size()); ++y) {
    if (ink[size_t(y)] > 0) {
      bottom = y;
      blank = 0;
    } else if (++blank > bridge) {
      break;
    }
  }
  const double s = page.dpi / 72.0;
  Box out = box;
  out.y0 = std::max(box.y0, (r.y0 + top) / s);
  out.y1 = std::min(box.y1, (r.y0 + bottom + 1) / s);
  return out;
}

void GrowBoxesToInk(const GrayImage& page, const std::vector<Box>& words,
                    std::vector<LabelledBox>* boxes, const InkFitOptions& options) {
  if (!Usable(page)) return;
  const double s = page.dpi / 72.0;
  for (LabelledBox& lb : *boxes) {
    Box& b = lb.box;
    if (b.empty()) continue;
    // Its own line: a word whose middle is below the box's characters (its padding off) and
    // whose top is below the box's middle is the next line's, and the box stops where its
    // ink starts; the same above. (A word reaching past the box's middle is no line of its
    // own: a tall mark, a smudge read as letters.)
    // Between the lines it keeps `line_gap` of paper where its own ink leaves room (the
    // next line stays readable: OCR joins a letter touching a box to the box), never less
    // than its own ink.
    const double pad = std::min(options.box_padding, b.height() / 4);
    const double mid = (b.y0 + b.y1) / 2;
    const Box own = FitToInk(page, b, options);
    Box fitted = b;
    for (const Box& w : words) {
      if (w.empty() || w.x1 <= b.x0 || w.x0 >= b.x1) continue;
      const double cy = (w.y0 + w.y1) / 2;
      if (cy > b.y1 - pad && w.y0 > mid) {
        fitted.y1 = std::min(fitted.y1, std::max(w.y0 - options.line_gap, std::min(own.y1, w.y0)));
      }
      if (cy < b.y0 + pad && w.y1 < mid) {
        fitted.y0 = std::max(fitted.y0, std::min(w.y1 + options.line_gap, std::max(own.y0, w.y1)));
      }
    }
    b.y0 = fitted.y0;
    b.y1 = fitted.y1;
    // Sideways, in the box's rows: from the last ink inside the box, on over every column of
    // ink until a gap a space wide.
    const PixelBox r = ToPixels(page, b);
    if (r.empty()) continue;
    // The characters' height, the padding off.
    const int height = std::max(1, r.y1 - r.y0 - int(std::lround(2 * pad * s)));
    const int gap = std::max(1, int(std::lround(options.word_gap * height)));
    const int reach = int(std::lround(options.max_growth * height));
    const int margin = int(std::lround(options.margin * s));
    int last = r.x1 - 1;
    while (last >= r.x0 && !ColumnHasInk(page, last, r.y0, r.y1)) --last;
    if (last >= r.x0) {
      int end = last, blank = r.x1 - 1 - last;
      for (int x = r.x1; x < page.width && x < r.x1 + reach && blank <= gap; ++x) {
        if (ColumnHasInk(page, x, r.y0, r.y1)) {
          end = x;
          blank = 0;
        } else {
          ++blank;
        }
      }
      if (end >= r.x1) b.x1 = std::min(double(page.width), end + 1.0 + margin) / s;
    }
    int first = r.x0;
    while (first < r.x1 && !ColumnHasInk(page, first, r.y0, r.y1)) ++first;
    if (first < r.x1) {
      int start = first, blank = first - r.x0;
      for (int x = r.x0 - 1; x >= 0 && x >= r.x0 - reach && blank <= gap; --x) {
        if (ColumnHasInk(page, x, r.y0, r.y1)) {
          start = x;
          blank = 0;
        } else {
          ++blank;
        }
      }
      if (start < r.x0) b.x0 = std::max(0.0, start - double(margin)) / s;
    }
  }
}

}  // namespace redact
