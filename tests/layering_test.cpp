// The design's arrows, enforced: a stage folder under pipeline/ includes only the stages the
// data flow of ../shared/DESIGN.md lets it use, and each engine's headers appear only in the
// one file that wraps it. A new #include across an arrow the design does not have fails here,
// naming the file and the line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/test_util.h"

#if defined(__SANITIZE_ADDRESS__)
// As in pipeline/cli/main.cpp: fontconfig's configuration lives as long as the process.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
#endif

namespace redact {
namespace {

using testing::kSourceDir;
namespace fs = std::filesystem;

// Stage -> the other stages it may include. core is the shared types and helpers (the page
// text and its readings among them); batch runs the whole pipeline, watch runs batch, cli
// runs everything.
const std::map<std::string, std::set<std::string>> kArrows = {
    {"core", {}},
    {"ingest", {"core"}},
    {"image", {"core"}},
    {"extract", {"core", "ingest", "image"}},
    {"rules", {"core"}},
    {"detect", {"core", "rules"}},
    {"decide", {"core", "detect"}},
    {"render", {"core", "image"}},
    {"write", {"core", "render"}},
    {"verify", {"core", "extract", "rules", "write"}},
    {"audit", {"core"}},
    {"report", {"core", "audit", "extract", "image", "ingest"}},
    {"batch",
     {"core", "ingest", "image", "extract", "rules", "detect", "decide", "render", "write",
      "verify", "audit", "report"}},
    {"watch", {"core", "audit", "batch", "extract", "rules", "report"}},
    {"review", {"core", "audit", "detect", "decide", "extract", "image", "ingest", "report"}},
    {"cli",
     {"core", "ingest", "image", "extract", "rules", "detect", "decide", "render", "write",
      "verify", "audit", "report", "batch", "watch", "review"}},
};

// Engine header prefix -> the only files that include it: each engine wrapped once.
const std::map<std::string, std::set<std::string>> kEngines = {
    {"poppler/", {"extract/pdf_document.cpp"}},
    {"tesseract/", {"extract/ocr.cpp"}},
    {"leptonica/", {"image/leptonica.cpp"}},
    {"zlib.h", {"image/png.cpp"}},
    {"re2/", {"rules/rule_matcher.cpp", "rules/rule_loader.cpp"}},
    {"qpdf/", {"write/release_pdf.cpp"}},
    {"zip.h", {"extract/office_package.cpp"}},
    {"libxml/", {"extract/office_package.cpp", "extract/email.cpp"}},
    {"gmime/", {"extract/email.cpp"}},
    {"ytnef.h", {"extract/email.cpp"}},
    {"LibreOfficeKit/", {"extract/office_server.cpp"}},
    {"httplib.h", {"review/review_server.cpp"}},
    {"unicode/", {"core/normalize.cpp"}},
    {"pango/", {"extract/text_printout.cpp"}},
    {"cairo", {"extract/text_printout.cpp"}},
};

struct Include {
  std::string file;  // "detect/detect.cpp"
  int line;
  std::string target;  // what is included
  bool quoted;
};

std::vector<Include> PipelineIncludes() {
  std::vector<Include> out;
  const fs::path root = fs::path(kSourceDir) / "pipeline";
  const std::regex include(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string ext = e.path().extension().string();
    if (ext != ".cpp" && ext != ".h" && ext != ".in") continue;
    std::ifstream f(e.path());
    std::string line;
    int n = 0;
    while (std::getline(f, line)) {
      ++n;
      std::smatch m;
      if (std::regex_search(line, m, include)) {
        out.push_back({e.path().lexically_relative(root).string(), n, m[2], m[1] == "\""});
      }
    }
  }
  return out;
}

TEST(Layering, EveryStageIncludesOnlyAlongTheDesignsArrows) {
  const auto includes = PipelineIncludes();
  ASSERT_GT(includes.size(), 100u);  // the scan found the sources
  std::set<std::string> stages;
  for (const Include& inc : includes) {
    const std::string stage = inc.file.substr(0, inc.file.find('/'));
    stages.insert(stage);
    ASSERT_TRUE(kArrows.count(stage))
        << "pipeline/" << stage << "/ is a stage folder the layering table does not know";
    if (!inc.quoted || inc.target.rfind("pipeline/", 0) != 0) continue;
    const std::string to = inc.target.substr(9, inc.target.find('/', 9) - 9);
    if (to == stage) continue;
    EXPECT_TRUE(kArrows.at(stage).count(to))
        << "pipeline/" << inc.file << ":" << inc.line << " includes " << inc.target << ": " << stage
        << " may not depend on " << to;
  }
  EXPECT_EQ(stages.size(), kArrows.size());
}

// The stages each CMake library links (redact_stage(NAME SOURCES ... STAGES ...) in
// CMakeLists.txt), by stage.
std::map<std::string, std::set<std::string>> CmakeStageLinks() {
  std::ifstream f(fs::path(kSourceDir) / "CMakeLists.txt");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::map<std::string, std::set<std::string>> out;
  const std::regex call(R"(redact_stage\((\w+)([^)]*)\))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), call); it != std::sregex_iterator();
       ++it) {
    std::set<std::string>& links = out[(*it)[1]];
    std::istringstream words((*it)[2].str());
    std::string w;
    bool in_stages = false;
    while (words >> w) {
      if (w == "SOURCES" || w == "ENGINES" || w == "STAGES") {
        in_stages = w == "STAGES";
      } else if (in_stages) {
        links.insert(w);
      }
    }
  }
  return out;
}

TEST(Layering, EachStageIsALibraryLinkedOnlyAlongTheArrows) {
  const auto links = CmakeStageLinks();
  for (const auto& [stage, allowed] : kArrows) {
    if (stage == "cli") continue;  // the executable
    ASSERT_TRUE(links.count(stage)) << "CMakeLists.txt has no redact_stage(" << stage << " ...)";
    for (const std::string& to : links.at(stage)) {
      EXPECT_TRUE(allowed.count(to))
          << "redact_" << stage << " links redact_" << to << ", an arrow the design does not have";
    }
  }
  // And what a stage includes from another it must also link, or the build would only work
  // by the accident of link order.
  for (const Include& inc : PipelineIncludes()) {
    const std::string stage = inc.file.substr(0, inc.file.find('/'));
    if (stage == "cli" || !inc.quoted || inc.target.rfind("pipeline/", 0) != 0) continue;
    const std::string to = inc.target.substr(9, inc.target.find('/', 9) - 9);
    if (to == stage || !links.count(stage)) continue;
    EXPECT_TRUE(links.at(stage).count(to))
        << "pipeline/" << inc.file << ":" << inc.line << " includes " << inc.target
        << " but redact_" << stage << " does not link redact_" << to;
  }
}

TEST(Layering, EachEngineIsIncludedOnlyByItsWrapper) {
  for (const Include& inc : PipelineIncludes()) {
    for (const auto& [prefix, wrappers] : kEngines) {
      if (inc.target.rfind(prefix, 0) != 0) continue;
      EXPECT_TRUE(wrappers.count(inc.file))
          << "pipeline/" << inc.file << ":" << inc.line << " includes <" << inc.target << ">; only "
          << *wrappers.begin() << " may use that engine";
    }
  }
}

}  // namespace
}  // namespace redact
