// The hidden-content set (tests/data/hidden/make_hidden_set.py): a secret that lives only
// where no reader of the page sees it must not reach a release by any reader - the text layer
// (pdftotext), the bytes (decompressed by qpdf), the pixels (Tesseract) - and the audit must
// say what was hidden.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/test_util.h"

namespace redact::testing {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class HiddenSet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    CommandResult make = RunCommand("/usr/bin/python3 " +
                                    Quote(kSourceDir + "/tests/data/hidden/make_hidden_set.py") +
                                    " " + Quote(*dir_ / "in") + " " + Quote(*dir_ / "cases.json"));
    if (make.exit_code != 0) {
      skip_ = "python3-fitz is needed to build the hidden-content set: " + make.out;
      return;
    }
    cases_ = json::parse(ReadAll(*dir_ / "cases.json"));
    batch_ = RunCommand(Quote(kBin) + " batch " + Quote(*dir_ / "in") + " -o " +
                        Quote(*dir_ / "out") + " -q --no-report");
    for (const json& r : AuditRecords(*dir_ / "out")) {
      if (r["event"] == "document") records_[r["input"].get<std::string>()] = r;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }
  static std::string Release(const std::string& file) { return *dir_ / ("out/release/" + file); }

  static TempDir* dir_;
  static std::string skip_;
  static json cases_;
  static CommandResult batch_;
  static std::map<std::string, json> records_;
};
TempDir* HiddenSet::dir_ = nullptr;
std::string HiddenSet::skip_;
json HiddenSet::cases_;
CommandResult HiddenSet::batch_;
std::map<std::string, json> HiddenSet::records_;

TEST_F(HiddenSet, EveryFileIsReleasedWithItsVisibleText) {
  ASSERT_EQ(batch_.exit_code, 0) << batch_.out;
  ASSERT_GE(cases_.size(), 16u);
  for (const json& c : cases_) {
    const std::string file = c["file"];
    ASSERT_TRUE(records_.count(file)) << file;
    EXPECT_EQ(records_[file]["status"], "released") << file;
    EXPECT_NE(PdfText(Release(file)).find("42 laptops were issued"), std::string::npos) << file;
  }
}

TEST_F(HiddenSet, NoReaderFindsTheSecretInTheTextLayerOrTheBytes) {
  for (const json& c : cases_) {
    const std::string file = c["file"];
    const std::string secret = c["secret"];
    const std::string word = secret.substr(0, secret.find(' '));  // "Bramblewood<n>"
    // Whatever the input has, the secret is there (else the case tests nothing)...
    const std::string input_all = Lower(
        PdfText(*dir_ / ("in/" + file)) + ReadAll(*dir_ / ("in/" + file)) +
        RunCommand("qpdf --qdf --object-streams=disable " + Quote(*dir_ / ("in/" + file)) + " -")
            .out);
    if (file != "unused-form-xobject.pdf" && file != "layer-off.pdf") {
      EXPECT_TRUE(input_all.find(Lower(word)) != std::string::npos ||
                  PdfText(*dir_ / ("in/" + file)).find(word) != std::string::npos ||
                  file == "incremental.pdf")
          << file << ": the generated input lost its secret";
    }
    // ...and no reader of the release finds it.
    EXPECT_EQ(PdfText(Release(file)).find("Quillmarsh"), std::string::npos) << file;
    const std::string bytes =
        Lower(ReadAll(Release(file)) +
              RunCommand("qpdf --qdf --object-streams=disable " + Quote(Release(file)) + " -").out);
    EXPECT_EQ(bytes.find(Lower(word)), std::string::npos) << file;
    EXPECT_EQ(bytes.find("quillmarsh"), std::string::npos) << file;
    const std::string sidecar = ReadAll(fs::path(Release(file)).replace_extension(".txt"));
    EXPECT_EQ(sidecar.find("Quillmarsh"), std::string::npos) << file;
    EXPECT_NE(sidecar.find("42 laptops"), std::string::npos) << file;
  }
}

TEST_F(HiddenSet, TesseractDoesNotReadTheSecretInTheReleasePixels) {
  for (const json& c : cases_) {
    const std::string file = c["file"];
    CommandResult ocr = RunCommand("pdftoppm -r 200 -gray -png " + Quote(Release(file)) +
                                   " | tesseract - - 2>/dev/null");
    const std::string text = Lower(ocr.out);
    EXPECT_NE(text.find("laptops"), std::string::npos) << file << ": " << ocr.out;
    EXPECT_EQ(text.find("quillmarsh"), std::string::npos) << file << ": " << ocr.out;
    EXPECT_EQ(text.find("bramblewood"), std::string::npos) << file << ": " << ocr.out;
  }
}

TEST_F(HiddenSet, TheAuditSaysWhatWasHidden) {
  for (const json& c : cases_) {
    const std::string file = c["file"];
    std::set<std::string> kinds;
    bool secret_named = false;
    for (const json& h : records_[file].value("hidden_content", json::array())) {
      kinds.insert(h["kind"].get<std::string>());
      if (h.value("text", "").find(c["secret"].get<std::string>()) != std::string::npos) {
        secret_named = true;
      }
    }
    for (const json& k : c["kinds"]) {
      EXPECT_TRUE(kinds.count(k.get<std::string>())) << file << " lacks " << k;
    }
    // Where the file still says the secret, the reviewer is told what it said.
    if (!c["kinds"].empty() && file != "incremental.pdf" && file != "layer-off.pdf") {
      EXPECT_TRUE(secret_named) << file << ": " << records_[file]["hidden_content"].dump();
    }
  }
  // A page reading as it should has nothing hidden.
  EXPECT_FALSE(records_["bookmark.pdf"]["page_info"][0].contains("hidden_words"));
}

TEST_F(HiddenSet, AStaleOcrLayerGivesWayToWhatThePixelsSay) {
  const json& r = records_["stale-ocr-layer.pdf"];
  EXPECT_EQ(r["page_info"][0]["source"], "both") << r.dump();
  const std::string text = PdfText(Release("stale-ocr-layer.pdf"));
  EXPECT_NE(text.find("matter is closed"), std::string::npos) << text;  // read by OCR
  EXPECT_EQ(text.find("Contact"), std::string::npos) << text;
}

}  // namespace
}  // namespace redact::testing
