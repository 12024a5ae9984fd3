#pragma once
// The only place Tesseract is used. One TessBaseAPI per thread (created on first use), so
// pages can be recognised in parallel; OMP_THREAD_LIMIT=1 is set by main() so they do not
// fight over OpenMP threads.

#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

// The words Tesseract read on a page, in points (top-left origin) of the image it was given.
struct OcrResult {
  std::vector<Word> words;        // source kOcr, confidence 0..100, a box per character
  std::vector<bool> space_after;  // false at the end of a line
  double mean_confidence = 0;     // over words; 0 when there are none
  GrayImage image;                // the pixels read, when asked for (else empty)
};

// Fails with kMissingDependency, naming the Debian package, when the `eng` model (or the
// tessdata folder) cannot be loaded.
Status CheckOcrAvailable();

// Clockwise quarter turns that make the page upright (Tesseract OSD); 0 when unsure or when
// the OSD model is not installed.
int DetectUprightTurns(const GrayImage& img);

// Recognises `img` (8-bit grey at img.dpi).
// Takes the image by value so that a caller done with it can move it in: it is freed as soon
// as Tesseract has the pixels, not held through recognition. With `keep_image` the pixels
// come back in OcrResult::image (Tesseract's own copy, taken once it is done with it), for a
// caller that needs them again without keeping a second copy through recognition.
Result<OcrResult> RecognizePage(GrayImage img, bool keep_image = false);

// Frees this thread's engines (tens of MB of models); the next OCR loads them again.
void ReleaseOcrEngines();

// Loads the `eng` model for the calling thread now (a tenth of a second), so that a process
// forked from this one finds it loaded. Returns false when it cannot be loaded.
bool PreloadOcrEngine();

}  // namespace redact
