#pragma once
// write: release pages -> a brand-new PDF built with libqpdf. Nothing of the input is opened
// here; the only inputs are pixels and the words that were kept.

#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/render/release_page.h"

namespace redact {

// A run of kept characters of one word, placed over its box.
struct KeptText {
  std::string text;  // UTF-8
  Box box;           // points, top-left origin
};

struct ReleasePage {
  double width = 0, height = 0;  // points
  EncodedImage image;            // covers the whole page
  std::vector<KeptText> words;   // the invisible, searchable text layer
};

struct WriterOptions {
  std::string producer;  // the only metadata written
};

// Serialises the pages into a PDF in memory: one image XObject per page, an invisible text
// layer (render mode 3) through a glyph-less Type 3 font with a ToUnicode map, an Info
// dictionary holding only /Producer, deterministic /ID. Byte-identical for identical input.
Result<std::string> WriteReleasePdf(const std::vector<ReleasePage>& pages,
                                    const WriterOptions& options);

// The same, written straight to `path` (and fsync'd): nothing of the file is held in memory,
// and each page's image bytes are freed once qpdf has them.
Status WriteReleasePdfFile(std::vector<ReleasePage> pages, const WriterOptions& options,
                           const std::string& path);

// Every decoded stream (except images) and every other object of a PDF we wrote, as text,
// for the self-check to search. Reads the release only, never an input.
Result<std::string> DecodedPdfContent(const std::string& path);

}  // namespace redact
