#pragma once
// render: a page raster plus redaction boxes -> the release page image, with opaque boxes
// burnt into the pixels and each labelled with its exemption where the label fits.
// Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

struct LabelledBox {
  Box box;                 // points
  std::string label;       // e.g. "s.31(1)(a)"; drawn only if it fits
  double fixed_width = 0;  // points: the width reflow gives it whatever it hides; 0: whole cm
};

enum class ImageEncoding { kG4, kJpeg };

// A page image, encoded for embedding in a PDF as it is.
struct EncodedImage {
  ImageEncoding encoding = ImageEncoding::kG4;
  int width = 0, height = 0;  // pixels
  std::string data;           // CCITT G4 (K -1, BlackIs1 false) or baseline JPEG, grey
};

struct RenderOptions {
  int jpeg_quality = 75;
  // A page where more than this share of pixels are mid-grey (not ink, not paper) holds
  // photographs and is kept as JPEG; otherwise it is thresholded to bilevel G4.
  double photo_share = 0.12;
  int bilevel_threshold = 180;  // grey values below this become black
};

// Burns `boxes` into `page` (black, with white labels) and encodes the result.
// `page` is modified in place (the boxes are in its pixels afterwards).
Result<EncodedImage> RenderReleasePage(GrayImage* page, const std::vector<LabelledBox>& boxes,
                                       const RenderOptions& options = {});

// Sets the pixels under `boxes` to black. Exposed for tests.
void BurnBoxes(GrayImage* page, const std::vector<LabelledBox>& boxes);

}  // namespace redact
