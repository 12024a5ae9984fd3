// OCR: Tesseract on real page images (rendered from samples/ here, or the real scans in
// ../shared), through the library and through the binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "pipeline/extract/ocr.h"
#include "pipeline/extract/pdf_document.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::kSourceDir;
using testing::PdfText;
using testing::Quote;
using testing::ReadAll;
using testing::Redact;
using testing::RunCommand;
using testing::Sample;
using testing::SharedDir;
using testing::TempDir;
namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> Documents(const std::string& out) {
  std::vector<json> docs;
  for (json& j : testing::AuditRecords(out)) {
    if (j["event"] == "document") docs.push_back(std::move(j));
  }
  return docs;
}

// Page `page` of the police sample as a 300 DPI greyscale PNG: a clean "scan".
std::string ScanOfSample(const TempDir& dir, int page, const std::string& name) {
  std::string prefix = dir / ("render-" + std::to_string(page));
  auto r = RunCommand("pdftoppm -r 300 -gray -png -singlefile -f " + std::to_string(page) + " -l " +
                      std::to_string(page) + " " +
                      Quote(Sample("police-remote-devices-draft.pdf")) + " " + Quote(prefix));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  fs::rename(prefix + ".png", dir / name);
  return dir / name;
}

// Words Tesseract reads in the pixels of a release (what score.py --ocr does).
std::string OcrOfRelease(const TempDir& dir, const std::string& pdf) {
  std::string out;
  RunCommand("pdftoppm -r 300 -gray -png " + Quote(pdf) + " " + Quote(dir / "ocr"));
  for (auto& e : fs::directory_iterator(dir.path())) {
    std::string name = e.path().filename().string();
    if (name.rfind("ocr", 0) != 0 || e.path().extension() != ".png") continue;
    out += RunCommand("OMP_THREAD_LIMIT=1 tesseract " + Quote(e.path()) + " - 2>/dev/null").out;
    fs::remove(e.path());
  }
  return out;
}

TEST(Ocr, GivesBackThePixelsItReadWhenAsked) {
  // A one-page scan's release is made from these pixels instead of decoding and straightening
  // the image again: they must be exactly the pixels that were read.
  auto doc = PdfDocument::Open(Sample("police-remote-devices-draft.pdf"));
  ASSERT_TRUE(doc.ok());
  auto raster = (*doc)->RenderPage(1, 150);
  ASSERT_TRUE(raster.ok());
  auto kept = RecognizePage(*raster, true);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->image.width, raster->width);
  EXPECT_EQ(kept->image.height, raster->height);
  EXPECT_EQ(kept->image.dpi, 150);
  EXPECT_TRUE(kept->image.pixels == raster->pixels);
  auto plain = RecognizePage(*raster);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->image.pixels.empty());
  EXPECT_EQ(plain->words.size(), kept->words.size());
}

TEST(Ocr, RecognisesWordsWithBoxesWhereTheTextLayerHasThem) {
  auto doc = PdfDocument::Open(Sample("police-remote-devices-draft.pdf"));
  ASSERT_TRUE(doc.ok());
  auto raster = (*doc)->RenderPage(1, 300);
  ASSERT_TRUE(raster.ok());
  auto ocr = RecognizePage(*raster);
  ASSERT_TRUE(ocr.ok()) << ocr.status().ToString();
  auto layer = (*doc)->ExtractPageText(1);
  ASSERT_TRUE(layer.ok());
  EXPECT_GT(ocr->mean_confidence, 80);
  // Every distinctive text-layer word is read, at (nearly) the same place.
  size_t matched = 0, checked = 0;
  for (const Word& t : layer->words) {
    if (t.text.size() < 6) continue;
    ++checked;
    for (const Word& o : ocr->words) {
      if (o.text != t.text) continue;
      EXPECT_EQ(o.source, TextSource::kOcr);
      EXPECT_EQ(o.char_boxes.size(), o.text.size());
      if (std::abs(o.box.x0 - t.box.x0) < 3 && std::abs(o.box.y1 - t.box.y1) < 4) {
        ++matched;
        break;
      }
    }
  }
  EXPECT_GT(checked, 30u);
  EXPECT_GE(double(matched), 0.9 * double(checked)) << matched << " of " << checked;
}

TEST(Ocr, ScannedImageIsRedactedInPixelsAndSearchable) {
  TempDir dir;
  std::string png = ScanOfSample(dir, 1, "scan.png");
  auto r = Redact("batch " + Quote(png) + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string pdf = dir / "out/release/scan.pdf";
  std::string text = PdfText(pdf);
  EXPECT_NE(
      text.find("Section 23(5) Information supplied by or concerning certain Security Bodies"),
      std::string::npos)
      << text;
  std::string pixels = OcrOfRelease(dir, pdf);
  for (const char* secret : {"vpn-gw01", "10.44.12.7", "AnyConnect", "BitLocker"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    EXPECT_EQ(pixels.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(pixels.find("Law Enforcement"), std::string::npos) << pixels;
  json doc = Documents(dir / "out").at(0);
  EXPECT_EQ(doc["kind"], "png");
  EXPECT_EQ(doc["page_info"][0]["source"], "ocr");
  EXPECT_GT(doc["page_info"][0]["mean_confidence"].get<double>(), 80);
  bool ocr_finding = false;
  for (const json& f : doc["findings"])
    ocr_finding |= f["source"] == "ocr" && f.contains("confidence");
  EXPECT_TRUE(ocr_finding);
}

TEST(Ocr, RotatedPageComesOutUpright) {
  TempDir dir;
  std::string png = ScanOfSample(dir, 1, "upright.png");
  ASSERT_EQ(
      RunCommand("convert " + Quote(png) + " -rotate 90 " + Quote(dir / "turned.png")).exit_code,
      0);
  fs::remove(png);
  auto r = Redact("batch " + Quote(dir / "turned.png") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json doc = Documents(dir / "out").at(0);
  EXPECT_EQ(doc["page_info"][0]["rotation"], 270);
  auto info = RunCommand("pdfinfo " + Quote(dir / "out/release/turned.pdf"));
  EXPECT_NE(info.out.find("Page size:       595"), std::string::npos) << info.out;
  EXPECT_NE(PdfText(dir / "out/release/turned.pdf").find("Section 24(2) National Security"),
            std::string::npos);
}

// A page scanned 1.2 degrees askew (turned by ImageMagick, not by us): the skew is found, the
// page straightened before OCR reads it, and the release redacted in its text and its pixels.
TEST(Ocr, SkewedScanIsStraightenedReadAndRedacted) {
  TempDir dir;
  std::string png = ScanOfSample(dir, 1, "straight.png");
  fs::create_directories(dir / "in");
  ASSERT_EQ(RunCommand("convert " + Quote(png) + " -background white -rotate 1.2 " +
                       Quote(dir / "in/skewed.png"))
                .exit_code,
            0);
  auto r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json doc = Documents(dir / "out").at(0);
  const double skew = doc["page_info"][0]["skew"].get<double>();
  EXPECT_NEAR(std::abs(skew), 1.2, 0.25) << skew;
  const std::string pdf = dir / "out/release/skewed.pdf";
  const std::string text = PdfText(pdf), pixels = OcrOfRelease(dir, pdf);
  for (const char* secret : {"vpn-gw01", "10.44.12.7", "AnyConnect", "BitLocker"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
    EXPECT_EQ(pixels.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(pixels.find("Law Enforcement"), std::string::npos) << pixels;
  EXPECT_NE(text.find("Section 23(5) Information supplied by or concerning certain Security"),
            std::string::npos)
      << text;
}

TEST(Ocr, MultiPageTiffGivesOneReleasePagePerPage) {
  TempDir dir;
  std::string p1 = ScanOfSample(dir, 1, "p1.png"), p2 = ScanOfSample(dir, 2, "p2.png");
  fs::create_directories(dir / "in");
  ASSERT_EQ(RunCommand("convert " + Quote(p1) + " " + Quote(p2) + " -monochrome -compress Group4 " +
                       Quote(dir / "in/both.tif"))
                .exit_code,
            0);
  auto r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string pdf = dir / "out/release/both.pdf";
  EXPECT_NE(RunCommand("pdfinfo " + Quote(pdf)).out.find("Pages:           2"), std::string::npos);
  std::string text = PdfText(pdf);
  EXPECT_NE(text.find("Freedom of Information Unit"), std::string::npos) << text;  // page 2
  EXPECT_EQ(text.find("Whitfield"), std::string::npos);
  EXPECT_EQ(text.find("0121 626"), std::string::npos);
  EXPECT_EQ(Documents(dir / "out").at(0)["kind"], "tiff");
}

TEST(Ocr, ScreenshotInsideATextPdfIsBoxedInThePixels) {
  TempDir dir;
  auto make =
      RunCommand("/usr/bin/python3 " + Quote(kSourceDir + "/tests/data/make_screenshot_pdf.py") +
                 " " + Quote(dir / "shot.pdf"));
  if (make.exit_code != 0) GTEST_SKIP() << "python3-fitz is needed to build the screenshot PDF";
  // Its text layer knows nothing of the address: only the pixels hold it.
  ASSERT_EQ(PdfText(dir / "shot.pdf").find("198.51"), std::string::npos);
  auto r = Redact("batch " + Quote(dir / "shot.pdf") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string pdf = dir / "out/release/shot.pdf";
  std::string pixels = OcrOfRelease(dir, pdf);
  EXPECT_EQ(pixels.find("198.51.100.23"), std::string::npos) << pixels;
  EXPECT_NE(pixels.find("Law Enforcement"), std::string::npos) << pixels;
  json doc = Documents(dir / "out").at(0);
  EXPECT_EQ(doc["page_info"][0]["source"], "both");
  ASSERT_EQ(doc["findings"].size(), 1u);
  EXPECT_EQ(doc["findings"][0]["text"], "198.51.100.23");
  EXPECT_EQ(doc["findings"][0]["source"], "ocr");
  // With OCR off the address stays in the pixels: the control shows the test can fail.
  auto off =
      Redact("batch " + Quote(dir / "shot.pdf") + " -o " + Quote(dir / "off") + " -q --ocr never");
  ASSERT_EQ(off.exit_code, 0) << off.out;
  EXPECT_NE(OcrOfRelease(dir, dir / "off/release/shot.pdf").find("198.51.100.23"),
            std::string::npos);
}

// --ocr auto looks at each picture of a text page on its own: a crest on every page, a
// photograph and a signature hold no text, so no page of the notice is read by OCR, and its
// release redacts exactly what --ocr never's does. (The screenshot above, a picture of text,
// still is read.)
TEST(Ocr, PicturesWithoutTextDoNotSendATextPageToOcr) {
  TempDir dir;
  auto make =
      RunCommand("/usr/bin/python3 " + Quote(kSourceDir + "/tests/data/make_logo_notice_pdf.py") +
                 " " + Quote(dir / "notice.pdf") + " 3");
  if (make.exit_code != 0) GTEST_SKIP() << "python3-fitz is needed to build the notice";
  // The pictures are there to see: without the per-picture look the pages would be OCR'd.
  auto images = RunCommand("pdfimages -list " + Quote(dir / "notice.pdf"));
  ASSERT_EQ(images.exit_code, 0);
  EXPECT_GE(std::count(images.out.begin(), images.out.end(), '\n'), 2 + 5) << images.out;
  std::vector<json> findings[2];
  for (const char* mode : {"auto", "never"}) {
    const std::string out = dir / ("out-" + std::string(mode));
    auto r =
        Redact("batch " + Quote(dir / "notice.pdf") + " -o " + Quote(out) + " -q --ocr " + mode);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    json doc = Documents(out).at(0);
    ASSERT_EQ(doc["page_info"].size(), 3u);
    for (const json& p : doc["page_info"]) {
      EXPECT_EQ(p["source"], "text-layer") << mode << " " << p.dump();
      EXPECT_FALSE(p.contains("ocr_read")) << mode << " " << p.dump();
    }
    for (const json& f : doc["findings"]) findings[mode[0] == 'n'].push_back(f["boxes"]);
    EXPECT_EQ(PdfText(out + "/release/notice.pdf").find("GCHQ"), std::string::npos);
  }
  EXPECT_FALSE(findings[0].empty());
  EXPECT_EQ(findings[0], findings[1]);
  // --ocr always does read them: what the audit says of a page read by OCR that added nothing.
  auto always = Redact("batch " + Quote(dir / "notice.pdf") + " -o " + Quote(dir / "always") +
                       " -q --ocr always");
  ASSERT_EQ(always.exit_code, 0) << always.out;
  for (const json& p : Documents(dir / "always").at(0)["page_info"]) {
    EXPECT_TRUE(p.value("ocr_read", false) || p["source"] == "both") << p.dump();
  }
}

TEST(Ocr, NeverQuarantinesWhatOnlyOcrCouldRead) {
  TempDir dir;
  std::string png = ScanOfSample(dir, 1, "scan.png");
  auto r = Redact("batch " + Quote(png) + " -o " + Quote(dir / "out") + " -q --ocr never");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(ReadAll(dir / "out/quarantine/scan.png.error.json").find("--ocr never"),
            std::string::npos);
}

TEST(Ocr, MissingTessdataExitsFiveNamingThePackage) {
  TempDir dir;
  fs::create_directories(dir / "empty");
  auto r = RunCommand("TESSDATA_PREFIX=" + Quote(dir / "empty") + " " + Quote(testing::kBin) +
                      " batch " + Quote(Sample("council")) + " -o " + Quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 5) << r.out;
  EXPECT_NE(r.out.find("tesseract-ocr-eng"), std::string::npos) << r.out;
  // Without OCR the same run needs no model.
  auto never = RunCommand("TESSDATA_PREFIX=" + Quote(dir / "empty") + " " + Quote(testing::kBin) +
                          " batch " + Quote(Sample("council")) + " -o " + Quote(dir / "out2") +
                          " -q --ocr never --release-flagged");
  EXPECT_EQ(never.exit_code, 0) << never.out;
}

TEST(OcrRealScans, EveryScanIsReleasedUprightWithTheEmailRedacted) {
  REQUIRE_SHARED();
  TempDir dir;
  // The scans as they are, but for the brochure's name: it redacts "Linn" (read as a name), and
  // a release whose file name holds what its document redacts is quarantined (ReleaseNames).
  std::string in = dir / "in";
  fs::create_directories(in);
  for (auto& e : fs::directory_iterator(SharedDir() + "/realdocs/scans")) {
    std::string name = e.path().filename().string();
    if (name.rfind("ocrmypdf_linn", 0) == 0) name = "brochure" + e.path().extension().string();
    fs::copy_file(e.path(), fs::path(in) / name);
  }
  auto r = Redact("batch " + Quote(in) + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, json> docs;
  for (const json& d : Documents(dir / "out")) docs[d["input"]] = d;
  for (auto& e : fs::directory_iterator(in)) {
    EXPECT_EQ(docs[e.path().filename().string()]["status"], "released") << e.path();
  }
  // ocrmypdf_cardinal.pdf: four pages turned 0, 90, 180, 270 degrees; all come out portrait.
  const json& cardinal = docs["ocrmypdf_cardinal.pdf"];
  std::set<int> rotations;
  for (const json& p : cardinal["page_info"]) rotations.insert(p["rotation"].get<int>());
  EXPECT_EQ(rotations, (std::set<int>{0, 90, 180, 270}));
  auto info = RunCommand("pdfinfo -f 1 -l 4 " + Quote(dir / "out/release/ocrmypdf_cardinal.pdf"));
  std::regex size(R"(Page +\d+ size: +([\d.]+) x ([\d.]+))");
  int portrait = 0;
  for (std::sregex_iterator it(info.out.begin(), info.out.end(), size), end; it != end; ++it) {
    portrait += std::stod((*it)[1]) < std::stod((*it)[2]);
  }
  EXPECT_EQ(portrait, 4) << info.out;
  // tesseract-test_eurotext.tif's e-mail address is redacted.
  bool email = false;
  for (const json& f : docs["tesseract-test_eurotext.tif"]["findings"]) {
    email |= f["rule"] == "person.email";
  }
  EXPECT_TRUE(email);
  EXPECT_EQ(PdfText(dir / "out/release/tesseract-test_eurotext.pdf").find("@website"),
            std::string::npos);
}

TEST(OcrRealScans, LinnBrochureReadsBackFromThePixels) {
  REQUIRE_SHARED();
  TempDir dir;
  // Under a name of its own: the brochure redacts "Linn" (read as a name), and a release whose
  // file name holds what its document redacts is quarantined (ReleaseNames tests); what this
  // test reads is the pixels.
  fs::create_directories(dir / "in");
  fs::copy_file(SharedDir() + "/realdocs/scans/ocrmypdf_linn.png", dir / "in/brochure.png");
  auto r = Redact("batch " + Quote(dir / "in/brochure.png") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto words = [](const std::string& s) {
    std::map<std::string, int> m;
    std::regex w(R"([A-Za-z0-9]{2,})");
    for (std::sregex_iterator it(s.begin(), s.end(), w), end; it != end; ++it) {
      std::string t = it->str();
      for (char& c : t) c = char(std::tolower(static_cast<unsigned char>(c)));
      ++m[t];
    }
    return m;
  };
  auto truth = words(ReadAll(SharedDir() + "/realdocs/scans/ocrmypdf_linn.txt"));
  auto seen = words(OcrOfRelease(dir, dir / "out/release/brochure.pdf"));
  // Words under redaction boxes are not expected back.
  std::map<std::string, int> redacted;
  const json doc = Documents(dir / "out").at(0);  // kept: the loop below refers into it
  for (const json& f : doc["findings"]) {
    for (auto& [k, v] : words(f.value("text", ""))) redacted[k] += v;
  }
  int total = 0, found = 0;
  for (auto& [w, n] : truth) {
    int expected = std::max(0, n - redacted[w]);
    total += expected;
    found += std::min(expected, seen[w]);
  }
  EXPECT_GE(double(found), 0.9 * double(total)) << found << " of " << total;
}

TEST(OcrRealScans, SharedCorpusScansDoNotLeak) {
  REQUIRE_SHARED();
  TempDir dir;
  auto make = RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/make_corpus.py") + " " +
                         Quote(dir / "c") + " 4");
  ASSERT_EQ(make.exit_code, 0) << make.out;
  for (const char* kind : {"pdf", "jpg", "tif"}) {
    fs::create_directories(dir / (std::string("in-") + kind));
    for (auto& e : fs::directory_iterator(dir / "c/scan")) {
      if (e.path().extension() == std::string(".") + kind) {
        fs::copy(e.path(), dir / (std::string("in-") + kind + "/" + e.path().filename().string()));
      }
    }
    auto r = Redact("batch " + Quote(dir / (std::string("in-") + kind)) + " -o " +
                    Quote(dir / (std::string("out-") + kind)) + " -q");
    ASSERT_EQ(r.exit_code, 0) << kind << r.out;
  }
  auto score =
      RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/score.py") + " " +
                 Quote(dir / "c/truth.json") + " " + Quote(dir / "out-pdf/release") + " --ocr");
  EXPECT_EQ(score.exit_code, 0) << score.out;
  EXPECT_NE(score.out.find("missing=0 leaks=0/"), std::string::npos) << score.out;
  EXPECT_NE(score.out.find("metadata_leaks=0"), std::string::npos) << score.out;
  // The page-1 images: truth is what page 1 of the draft holds.
  json truth = json::parse(ReadAll(dir / "c/truth.json"));
  for (const char* kind : {"jpg", "tif"}) {
    json page1;
    for (auto& [name, t] : truth.items()) {
      std::string p1 =
          RunCommand("pdftotext -f 1 -l 1 " + Quote(dir / ("c/text/" + name + ".pdf")) + " -").out;
      std::string flat = std::regex_replace(p1, std::regex(R"(\s+)"), " ");
      json entry = {{"must_redact", json::array()}, {"must_keep", json::array()}};
      for (const json& s : t["must_redact"]) {
        if (flat.find(s.get<std::string>()) != std::string::npos) entry["must_redact"].push_back(s);
      }
      page1[name + "-p1"] = entry;
    }
    std::ofstream(dir / "truth-p1.json") << page1.dump();
    auto s = RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/score.py") + " " +
                        Quote(dir / "truth-p1.json") + " " +
                        Quote(dir / (std::string("out-") + kind + "/release")) + " --ocr");
    EXPECT_EQ(s.exit_code, 0) << kind << "\n" << s.out;
    EXPECT_NE(s.out.find("missing=0 leaks=0/"), std::string::npos) << kind << "\n" << s.out;
  }
}

}  // namespace
}  // namespace redact
