// Every input a fuzzer once crashed on, and the edge cases each target's folder keeps
// (tests/data/fuzz/<target>/: an empty input, malformed TOML and placeholders, words that
// are all one byte or hold NULs), through the same entry points, in the ordinary build: what
// was fixed stays fixed. Each folder must hold inputs, so a renamed folder cannot silently
// run none.
#include <gtest/gtest.h>

#include "fuzz/fuzz_targets.h"
#include "tests/test_util.h"

namespace redact::testing {
namespace {

int RunAll(const std::string& target, int (*fn)(const uint8_t*, size_t)) {
  int n = 0;
  fs::path dir = fs::path(kSourceDir) / "tests/data/fuzz" / target;
  if (!fs::is_directory(dir)) return 0;
  for (auto& e : fs::directory_iterator(dir)) {
    std::string bytes = ReadAll(e.path());
    fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++n;
  }
  return n;
}

TEST(FuzzRegressions, RuleLoader) { EXPECT_GE(RunAll("rule_loader", &fuzz::RuleLoader), 5); }
TEST(FuzzRegressions, PageText) { EXPECT_GE(RunAll("page_text", &fuzz::PageText), 3); }
TEST(FuzzRegressions, IngestExtract) {
  EXPECT_GT(RunAll("ingest_extract", &fuzz::IngestExtract), 0);
}
TEST(FuzzRegressions, OfficePackage) {
  EXPECT_GE(RunAll("office_package", &fuzz::OfficePackage), 4);
}
TEST(FuzzRegressions, Email) { EXPECT_GE(RunAll("email", &fuzz::Email), 4); }
// The hand-written codecs against the libraries they replace: each seed traps on a difference.
TEST(FuzzRegressions, PngCodec) { EXPECT_GE(RunAll("png_codec", &fuzz::PngCodec), 3); }
TEST(FuzzRegressions, G4Codec) { EXPECT_GE(RunAll("g4_codec", &fuzz::G4Codec), 3); }

}  // namespace
}  // namespace redact::testing
