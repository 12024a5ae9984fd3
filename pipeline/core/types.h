#pragma once
// The plain data that flows between stages. No engine types appear here.

#include <cstdint>
#include <string>
#include <vector>

namespace redact {

// A rectangle in PDF points, origin at the top-left of the page, y growing downwards.
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;

  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  Box United(const Box& o) const {
    if (empty()) return o;
    if (o.empty()) return *this;
    return {x0 < o.x0 ? x0 : o.x0, y0 < o.y0 ? y0 : o.y0, x1 > o.x1 ? x1 : o.x1,
            y1 > o.y1 ? y1 : o.y1};
  }
  Box Padded(double d) const { return {x0 - d, y0 - d, x1 + d, y1 + d}; }
  bool Intersects(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

enum class TextSource { kTextLayer, kOcr };

// One word as a reader sees it, with a box per Unicode character.
struct Word {
  std::string text;  // UTF-8
  Box box;
  std::vector<Box> char_boxes;  // one per Unicode character of `text`
  double confidence = 100;      // 0..100; 100 for a text layer
  TextSource source = TextSource::kTextLayer;
  // In the file but not seen by a reader of the page: invisible, covered, clipped, white on
  // white, too small to read. Matched by the rules, never carried into a release.
  bool hidden = false;
};

// Where a byte of PageText::text came from.
struct CharRef {
  int32_t word = -1;  // index into PageText::words; -1 for a separator we inserted
  int32_t chr = -1;   // index into that word's char_boxes
};

// A hyphen at the end of a line that was dropped from PageText::text to join a word.
struct HyphenJoin {
  size_t offset = 0;  // byte offset in text where the continuation starts
  CharRef hyphen;     // the dropped hyphen's character
};

// Bytes [begin, end) of a source text.
struct SourceRange {
  uint32_t begin = 0, end = 0;
};

// The text of one page in reading order, ready for matching.
// Lines are joined with '\n', words on a line with ' ' where the layout had a space.
// Every byte of `text` maps to a character of a word (or to a separator).
struct PageText {
  int page = 0;                  // 1-based
  double width = 0, height = 0;  // points
  std::vector<Word> words;
  std::string text;
  std::vector<CharRef> byte_map;  // byte_map.size() == text.size(); empty for plain text
  std::vector<HyphenJoin> joins;
  // Plain text only, when reading it changed it (core/normalize.h: invisible characters out,
  // compatibility forms and look-alike letters read as Latin): the text as the file has it,
  // and for every byte of `text` the bytes of `source_text` it was read from. The release of a
  // text keeps the file's own characters where nothing was redacted.
  std::string source_text;
  std::vector<SourceRange> source_map;
};

// An 8-bit grey raster, rows top to bottom, `width` bytes per row, 0 = black.
struct GrayImage {
  int width = 0, height = 0;
  double dpi = 72;
  std::vector<uint8_t> pixels;
};

// A grey level darker than this is ink: what a reader sees on the page. One threshold for
// every question about ink (is a word drawn, is a page blank, where is the text for the skew).
constexpr uint8_t kInkBelow = 160;
inline bool IsInk(uint8_t grey) { return grey < kInkBelow; }

// redact: boxed. flag: not boxed until a reviewer decides, and the document waits for that
// decision (OUT/review/) instead of being released. note: kept and shown to the reviewer (the
// requester's own question, an office's published contact details); never holds a document.
enum class Action { kRedact, kFlag, kNote };

// A span of one page's text that a rule matched.
struct Finding {
  std::string rule_id;
  Action action = Action::kRedact;
  std::string exemption;
  int page = 0;
  size_t begin = 0, end = 0;  // byte span in PageText::text
  std::vector<Box> boxes;     // where it is drawn (empty for plain text)
  std::string text;           // the matched text, as in PageText::text
  // When this is one piece of a match that another reading of the page found whole (a word a
  // narrow table cell broke over lines): the whole match, which consistency and the
  // self-check look for instead of a piece too short to mean anything ("200" of an address).
  std::string whole;
  std::string fingerprint;                    // stable id: rule + normalised text + occurrence
  std::string context_before, context_after;  // a few words either side, for the reviewer
  bool consistency = false;  // found again because the same literal was redacted elsewhere
  TextSource source = TextSource::kTextLayer;  // kOcr when any of its words came from OCR
  double confidence = 100;                     // lowest confidence of its words
  bool low_confidence = false;  // OCR was unsure: redacted anyway, marked for the reviewer
  std::string decision;         // a reviewer's "redact" or "keep"; empty when undecided
  std::string note;             // the reviewer's note on the decision
  std::string decided_by;       // the reviewer who decided
  // A reviewer redacted this occurrence (or this page's) alone: the same text elsewhere is
  // released, so the self-check does not look for it (the span and boxes remove it here).
  bool only_here = false;
  bool in_bulk = false;        // decided by a [[bulk]] entry, not its own [[decision]]
  int priority = 0;            // the rule's priority: names a merged finding
  double min_confidence = -1;  // the rule's own OCR threshold for flags; -1: the global one
  double box_width = 0;        // points: the rule's one width for its boxes; 0: whole cm
};

}  // namespace redact
