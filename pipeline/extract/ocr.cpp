#include "pipeline/extract/ocr.h"

#include <tesseract/baseapi.h>

#include <tesseract/resultiterator.h>
#include <cstdlib>
#include <filesystem>

#include <cmath>
#include <map>
#include <memory>

// libgomp, which Debian's Tesseract is built with. Declared here rather than through <omp.h>,
// which not every compiler ships.
extern "C" void omp_set_max_active_levels(int max_levels);

#include "pipeline/core/text.h"
#include "pipeline/image/leptonica.h"

namespace redact {
namespace {

const char* kMissingModelHint =
    "Install Debian's tesseract-ocr-eng package (apt-get install tesseract-ocr-eng), or set "
    "TESSDATA_PREFIX to the folder holding eng.traineddata.";

struct Api {
  std::unique_ptr<tesseract::TessBaseAPI> api;
  bool ok = false;
};

// One engine per thread and language; Init is slow (it loads the model), so it is reused.
thread_local std::map<std::string, Api> engines;

// One Tesseract per page thread: OpenMP teams inside each would only make them fight for the
// same cores (and change nothing in the result). With no active level allowed, every parallel
// region Tesseract opens runs on the calling thread alone. libgomp keeps this setting per
// thread, so each page thread sets it before its first engine; set by the engine itself, in
// every process that runs OCR, whatever its environment.
void OneThreadPerEngine() {
  thread_local bool set = false;
  if (!set) {
    omp_set_max_active_levels(0);
    set = true;
  }
}

tesseract::TessBaseAPI* Engine(const char* language) {
  OneThreadPerEngine();
  Api& e = engines[language];
  if (!e.api) {
    e.api = std::make_unique<tesseract::TessBaseAPI>();
    // nullptr: Tesseract looks in TESSDATA_PREFIX, then its compiled-in folder.
    // The OSD model exists only for the legacy engine.
    e.ok = e.api->Init(nullptr, language,
                       std::string(language) == "osd" ? tesseract::OEM_TESSERACT_ONLY
                                                      : tesseract::OEM_LSTM_ONLY) == 0;
    if (e.ok) e.api->SetVariable("debug_file", "/dev/null");
  }
  return e.ok ? e.api.get() : nullptr;
}

}  // namespace

void ReleaseOcrEngines() { engines.clear(); }

bool PreloadOcrEngine() { return Engine("eng") != nullptr; }

Status CheckOcrAvailable() {
  // Loading the model takes a tenth of a second; where the file is plainly in one of the
  // places Tesseract looks, that is enough here (a worker that cannot load it still fails
  // with the same message).
  std::vector<std::string> dirs;
  if (const char* prefix = std::getenv("TESSDATA_PREFIX")) {
    dirs = {prefix, std::string(prefix) + "/tessdata"};
  } else {
    dirs = {"/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
            "/usr/share/tessdata", "/usr/local/share/tessdata"};
  }
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (std::filesystem::file_size(dir + "/eng.traineddata", ec) > 1024 && !ec) {
      return Status::Ok();
    }
  }
  if (!Engine("eng")) {
    return Status::MissingDependency("Tesseract cannot load its English model (eng.traineddata)",
                                     kMissingModelHint);
  }
  return Status::Ok();
}

int DetectUprightTurns(const GrayImage& img) {
  tesseract::TessBaseAPI* api = Engine("osd");
  if (!api) return 0;
  PixPtr pix = ToPix8(img);
  if (!pix) return 0;
  api->SetPageSegMode(tesseract::PSM_OSD_ONLY);
  api->SetImage(pix.get());
  api->SetSourceResolution(int(std::lround(img.dpi)));
  int degrees = 0;
  float orient_conf = 0, script_conf = 0;
  const char* script = nullptr;
  bool ok = api->DetectOrientationScript(&degrees, &orient_conf, &script, &script_conf);
  api->Clear();
  if (!ok || orient_conf < 2.0f) return 0;
  // `degrees` is how far the page is turned clockwise; turning it back is the remainder.
  return ((360 - degrees) / 90) % 4;
}

Result<OcrResult> RecognizePage(GrayImage img, bool keep_image) {
  tesseract::TessBaseAPI* api = Engine("eng");
  if (!api) {
    return Status::MissingDependency("Tesseract cannot load its English model", kMissingModelHint);
  }
  PixPtr pix = ToPix8(img);
  if (!pix) return Status::Engine("cannot prepare the page image for OCR");
  std::vector<uint8_t>().swap(img.pixels);  // Leptonica has the pixels now
  api->SetPageSegMode(tesseract::PSM_AUTO);
  api->SetImage(pix.get());
  pix.reset();  // Tesseract holds its own reference or copy
  api->SetSourceResolution(int(std::lround(img.dpi)));
  if (api->Recognize(nullptr) != 0) {
    api->Clear();
    return Status::Engine("Tesseract could not recognise the page");
  }
  OcrResult out;
  const double scale = 72.0 / img.dpi;
  auto to_box = [&](int x0, int y0, int x1, int y1) {
    return Box{x0 * scale, y0 * scale, x1 * scale, y1 * scale};
  };
  std::unique_ptr<tesseract::ResultIterator> it(api->GetIterator());
  double conf_sum = 0;
  if (it) {
    do {
      if (it->Empty(tesseract::RIL_SYMBOL)) continue;
      if (it->IsAtBeginningOf(tesseract::RIL_WORD)) {
        Word w;
        w.source = TextSource::kOcr;
        w.confidence = it->Confidence(tesseract::RIL_WORD);
        int x0, y0, x1, y1;
        if (it->BoundingBox(tesseract::RIL_WORD, &x0, &y0, &x1, &y1))
          w.box = to_box(x0, y0, x1, y1);
        out.words.push_back(std::move(w));
        out.space_after.push_back(true);
        conf_sum += out.words.back().confidence;
      }
      if (out.words.empty()) continue;
      Word& w = out.words.back();
      std::unique_ptr<char[]> sym(it->GetUTF8Text(tesseract::RIL_SYMBOL));
      if (!sym) continue;
      int x0, y0, x1, y1;
      Box b = w.box;
      if (it->BoundingBox(tesseract::RIL_SYMBOL, &x0, &y0, &x1, &y1)) b = to_box(x0, y0, x1, y1);
      std::string text(sym.get());
      for (char32_t c : DecodeUtf8(text)) {
        (void)c;
        w.char_boxes.push_back(b);
      }
      w.text += text;
      if (it->IsAtFinalElement(tesseract::RIL_TEXTLINE, tesseract::RIL_SYMBOL)) {
        out.space_after.back() = false;
      }
    } while (it->Next(tesseract::RIL_SYMBOL));
  }
  PixPtr input;
  if (keep_image) {
    // The input image Tesseract kept; a clone (a reference) outlives Clear().
    input = ClonePixOfSize(api->GetInputImage(), img.width, img.height);
  }
  api->Clear();
  if (input) {
    out.image = FromPix8(input.get(), img.dpi);
    input.reset();
  }
  // Drop words that came out empty (Tesseract sometimes yields a box with no text).
  std::vector<Word> words;
  std::vector<bool> spaces;
  for (size_t i = 0; i < out.words.size(); ++i) {
    if (out.words[i].text.empty()) continue;
    words.push_back(std::move(out.words[i]));
    spaces.push_back(out.space_after[i]);
  }
  out.words = std::move(words);
  out.space_after = std::move(spaces);
  out.mean_confidence = out.words.empty() ? 0 : conf_sum / double(out.words.size());
  return out;
}

}  // namespace redact
