#pragma once
// write: release pages -> a brand-new PDF built with libqpdf. Nothing of the input is opened
// here; the only inputs are pixels and the words that were kept.

#include <string>
#include <vector>

#include "pipeline/core/env.h"
#include "pipeline/core/spill_file.h"
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
  std::string producer;       // the only metadata written
  int threads = 1;            // pages whose text layers are made at once (the bytes do not change)
  Env* env = Env::Default();  // where WriteReleasePdfFile writes
};

// Serialises the pages into a PDF in memory: one image XObject per page, an invisible text
// layer (render mode 3) through a glyph-less Type 3 font with a ToUnicode map, an Info
// dictionary holding only /Producer, deterministic /ID. Byte-identical for identical input.
Result<std::string> WriteReleasePdf(const std::vector<ReleasePage>& pages,
                                    const WriterOptions& options);

// A release page whose image and kept words wait in a spill file until the writer needs them.
struct SpilledReleasePage {
  double width = 0, height = 0;  // points
  ImageEncoding encoding = ImageEncoding::kG4;
  int pixel_width = 0, pixel_height = 0;
  SpillFile::Ref image, words;
};
Result<SpilledReleasePage> SpillReleasePage(const ReleasePage& page, SpillFile* spill);

// The same PDF, written straight to `path` (and fsync'd) from pages in `spill`: qpdf reads each
// page's bytes as it writes them, so memory does not grow with the number of pages.
Status WriteReleasePdfFile(const std::vector<SpilledReleasePage>& pages, SpillFile& spill,
                           const WriterOptions& options, const std::string& path);

// Every decoded stream (except images) and every other object of a PDF we wrote, as text,
// for the self-check to search. Reads the release only, never an input.
Result<std::string> DecodedPdfContent(const std::string& path);

}  // namespace redact
