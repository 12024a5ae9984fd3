// redact review driven in headless Chromium (Debian's) through the DevTools protocol, as a
// reviewer would: reject a finding, search a term and redact it across two documents, draw an
// area, withhold a page, decide a flag, apply; then the new releases' text and pixels.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "pipeline/core/hash.h"
#include "tests/cdp.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using nlohmann::json;
using testing::AuditRecords;
using testing::Chromium;
using testing::kBin;
using testing::kSourceDir;
using testing::PdfText;
using testing::Quote;
using testing::RunCommand;
using testing::TempDir;
namespace fs = std::filesystem;

// `redact review OUT` in the background; its URL once it listens.
class ReviewServer {
 public:
  explicit ReviewServer(const std::string& out) {
    int p[2];
    if (::pipe(p) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(p[1], 1);
      ::close(p[0]);
      ::close(p[1]);
      execl(kBin.c_str(), kBin.c_str(), "review", out.c_str(), "--reviewer", "Browser Reviewer",
            static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(p[1]);
    std::string text;
    char c;
    while (text.find("token=") == std::string::npos || text.back() != '\n') {
      if (::read(p[0], &c, 1) != 1) break;
      text += c;
    }
    ::close(p[0]);
    std::smatch m;
    if (std::regex_search(text, m,
                          std::regex("http://127\\.0\\.0\\.1:[0-9]+/\\?token=[0-9a-f]+"))) {
      url_ = m.str();
    }
  }
  ~ReviewServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

// Saves the page as it is under build/ (for the README and for whoever looks at a failure).
void Screenshot(Chromium* browser, const std::string& session, const std::string& name) {
  auto png = DecodeBase64(browser->ScreenshotBase64(session));
  ASSERT_TRUE(png.has_value()) << "no screenshot";
  const fs::path path = fs::path(kBin).parent_path() / name;
  std::ofstream(path, std::ios::binary) << *png;
}

std::string PageText(const std::string& pdf, int page) {
  return RunCommand("pdftotext -f " + std::to_string(page) + " -l " + std::to_string(page) + " " +
                    Quote(pdf) + " -")
      .out;
}

TEST(ReviewInBrowser, AReviewerDecidesRedactsByHandAndApplies) {
  if (RunCommand("command -v chromium").exit_code != 0) GTEST_SKIP() << "no chromium";
  TempDir dir;
  const std::string out = dir / "out";
  // The council's staff list waits for a decision on its protective marking.
  ASSERT_EQ(testing::Redact("batch " + Quote(kSourceDir + "/samples") + " -o " + Quote(out) +
                            " -q --no-report")
                .exit_code,
            7);
  ASSERT_TRUE(fs::exists(out + "/review/council/staff-contacts-draft.pdf"));
  ReviewServer server(out);
  ASSERT_FALSE(server.url().empty()) << "redact review printed no URL";
  // Without the token: refused.
  const std::string base = server.url().substr(0, server.url().find("/?token="));
  EXPECT_EQ(RunCommand("curl -s -o /dev/null -w '%{http_code}' " + Quote(base + "/api/state")).out,
            "403");

  Chromium browser;
  ASSERT_TRUE(browser.Start(dir / "profile"));
  const std::string tab = browser.Open(server.url());
  ASSERT_FALSE(tab.empty()) << "chromium did not open the page";
  ASSERT_TRUE(browser.WaitFor(tab, "document.body && document.body.dataset.ready === '1'"))
      << browser.Eval(tab, "document.body ? document.body.innerText : ''");
  auto saved = [&](const std::string& what) {
    EXPECT_TRUE(
        browser.WaitFor(tab, "document.querySelector('#status').textContent.startsWith('saved')"))
        << what << ": " << browser.Eval(tab, "document.querySelector('#status').textContent");
    browser.Eval(tab, "document.querySelector('#status').textContent = ''");
  };
  auto open_document = [&](const std::string& name) {
    browser.Eval(
        tab, "[...document.querySelectorAll('.doc')].find(b => b.textContent.startsWith('" + name +
                 "')).click()");
    ASSERT_TRUE(browser.WaitFor(
        tab, "document.querySelector('#doc h2').textContent.startsWith('" + name + "')"));
  };
  browser.Eval(tab, "document.querySelector('#reviewer').value = 'Browser Reviewer'");

  // 1. Reject a finding: the gateway's address is released.
  open_document("police-remote-devices-draft.pdf");
  ASSERT_TRUE(browser.WaitFor(
      tab,
      "document.querySelectorAll('.sheet img').length >= 2 && "
      "[...document.querySelectorAll('.sheet img')].every(i => i.complete && i.naturalWidth > 0)"));
  EXPECT_GT(browser.Eval(tab, "document.querySelectorAll('.box').length").get<int>(), 10)
      << "the findings are not drawn on the page";
  browser.Eval(
      tab,
      "[...document.querySelectorAll('#findings tr')].find(tr => tr.querySelector('mark') "
      "&& tr.querySelector('mark').textContent === '10.44.12.7').querySelector('.keep').click()");
  saved("keep a finding");
  Screenshot(&browser, tab, "review-screenshot.png");

  // 2. Search a term across the batch and redact every hit (two documents have it).
  browser.Eval(tab,
               "document.querySelector('#q').value = 'request'; "
               "document.querySelector('#search').requestSubmit()");
  ASSERT_TRUE(browser.WaitFor(tab, "document.querySelector('#redact-hits')"));
  EXPECT_GE(browser.Eval(tab, "document.querySelectorAll('.hit-row').length").get<int>(), 3);
  browser.Eval(tab, "document.querySelector('#redact-hits').click()");
  saved("redact a searched term");

  // 3. Draw an area over the letterhead of page 1.
  browser.Eval(tab, "document.querySelector('#draw').click()");
  browser.Eval(tab, "document.querySelector('.sheet[data-page=\"1\"]').scrollIntoView()");
  const json rect =
      browser.Eval(tab,
                   "(() => { const r = "
                   "document.querySelector('.sheet[data-page=\"1\"]').getBoundingClientRect();"
                   " return [r.left, r.top]; })()");
  ASSERT_TRUE(rect.is_array()) << rect;
  const double s = 100.0 / 72 * browser.Eval(tab, "zoom").get<double>();  // 100 DPI, zoomed
  const double left = rect[0].get<double>(), top = rect[1].get<double>();
  browser.Drag(tab, left + 60 * s, top + 55 * s, left + 250 * s, top + 80 * s);
  saved("draw an area");

  // 4. Withhold page 2.
  browser.Eval(tab, "document.querySelector('.withhold[data-page=\"2\"]').click()");
  saved("withhold a page");

  // 5. The council's flag: redacted, so that its document can be released.
  open_document("council/staff-contacts-draft.pdf");
  browser.Eval(tab,
               "[...document.querySelectorAll('#findings tr')].find(tr => "
               "tr.dataset.rule === 'internal.marking').querySelector('.redact').click()");
  saved("decide a flag");
  EXPECT_EQ(browser.Eval(tab, "document.querySelectorAll('.manual-entry').length"), 3);

  // 6. Apply: both documents run again; the council's moves from review/ to release/.
  browser.Eval(tab, "document.querySelector('#apply').click()");
  ASSERT_TRUE(browser.WaitFor(tab, "document.body.dataset.applied", 240))
      << browser.Eval(tab, "document.querySelector('#status').textContent");
  EXPECT_NE(browser.Eval(tab, "document.querySelector('#status').textContent")
                .get<std::string>()
                .find("exit 0"),
            std::string::npos)
      << browser.Eval(tab, "document.querySelector('#status').textContent");
  open_document("police-remote-devices-draft.pdf");
  browser.WaitFor(
      tab,
      "[...document.querySelectorAll('img.release')].every(i => i.complete && i.naturalWidth > 0)");
  Screenshot(&browser, tab, "review-screenshot-applied.png");

  const std::string police = out + "/release/police-remote-devices-draft.pdf";
  const std::string council = out + "/release/council/staff-contacts-draft.pdf";
  ASSERT_TRUE(fs::exists(council)) << "the decided document was not released";
  EXPECT_FALSE(fs::exists(out + "/review/council/staff-contacts-draft.pdf"))
      << "its would-be release still waits in review/";
  const std::regex word("\\brequest\\b", std::regex::icase);
  const std::string police_text = PdfText(police), council_text = PdfText(council);
  EXPECT_NE(police_text.find("10.44.12.7"), std::string::npos) << "the rejected finding";
  EXPECT_FALSE(std::regex_search(police_text, word)) << police_text;
  EXPECT_FALSE(std::regex_search(council_text, word)) << council_text;
  EXPECT_EQ(council_text.find("OFFICIAL-SENSITIVE"), std::string::npos);
  EXPECT_NE(PageText(police, 2).find("Page 2 withheld: s.40(2)"), std::string::npos)
      << PageText(police, 2);
  EXPECT_EQ(PageText(police, 2).find("Whitfield"), std::string::npos);
  EXPECT_EQ(PageText(police, 1).find("Northshire Constabulary\n"), std::string::npos);
  // The area in the pixels: black where it was drawn.
  const std::string pgm = dir / "p1";
  RunCommand("pdftoppm -r 72 -gray -singlefile -f 1 -l 1 " + Quote(police) + " " + Quote(pgm));
  std::ifstream in(pgm + ".pgm", std::ios::binary);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  in >> magic >> w >> h >> maxval;
  in.get();
  std::string px(size_t(w) * size_t(h), '\0');
  in.read(px.data(), std::streamsize(px.size()));
  int dark = 0, all = 0;
  for (int y = 60; y < 76; ++y) {
    for (int x = 66; x < 245; ++x, ++all)
      dark += uint8_t(px[size_t(y) * size_t(w) + size_t(x)]) < 128;
  }
  EXPECT_GT(dark, all * 9 / 10) << "the drawn area is not black in the release";
  // The audit: the reviewer with every decision.
  bool area = false, page = false;
  for (const json& r : AuditRecords(out)) {
    if (r["event"] != "document") continue;
    for (const json& f : r["findings"]) {
      if (f["rule"] == "manual.area") area = f.value("decided_by", "") == "Browser Reviewer";
      if (f["rule"] == "manual.page") page = f.value("decided_by", "") == "Browser Reviewer";
    }
  }
  EXPECT_TRUE(area && page);
}

}  // namespace
}  // namespace redact
