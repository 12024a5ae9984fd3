#pragma once
// Helpers for tests: temp folders, running the real binary, reading outputs.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/core/types.h"

namespace redact::testing {

namespace fs = std::filesystem;

inline const std::string kBin = REDACT_BIN;
inline const std::string kSourceDir = REDACT_SOURCE_DIR;
// Every run a test starts keys its audit with the test build's key, not the user's own
// (unless $REDACT_KEY_FILE says otherwise).
inline const bool kTestKeyFile = [] {
  ::setenv("REDACT_KEY_FILE",
           (fs::path(REDACT_BIN).parent_path() / "tests" / "audit-test.key").c_str(), 0);
  return true;
}();

// ../shared beside the checkout, or $REDACT_SHARED; empty when absent.
inline std::string SharedDir() {
  if (const char* env = std::getenv("REDACT_SHARED")) return env;
  fs::path p = fs::path(kSourceDir).parent_path() / "shared";
  std::error_code ec;
  return fs::is_directory(p / "corpus", ec) ? p.string() : std::string();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "redact-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (fs::path(path_) / rel).string(); }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

inline CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline CommandResult Redact(const std::string& args) {
  return RunCommand(Quote(kBin) + " " + args);
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// pdftotext of a PDF, white space collapsed to single spaces.
inline std::string PdfText(const std::string& pdf) {
  CommandResult r = RunCommand("pdftotext " + Quote(pdf) + " -");
  std::string out;
  bool space = false;
  for (char c : r.out) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

inline std::string Sample(const std::string& rel) { return kSourceDir + "/samples/" + rel; }

// Every record of OUT/audit/audit.jsonl, in order.
inline std::vector<nlohmann::json> AuditRecords(const std::string& out) {
  std::vector<nlohmann::json> records;
  std::istringstream in(ReadAll(out + "/audit/audit.jsonl"));
  std::string line;
  while (std::getline(in, line)) records.push_back(nlohmann::json::parse(line));
  return records;
}

// The "document" records of OUT's audit log (none while it has no log).
inline std::vector<nlohmann::json> DocumentRecords(const std::string& out) {
  std::vector<nlohmann::json> docs;
  std::error_code ec;
  if (!fs::exists(out + "/audit/audit.jsonl", ec)) return docs;
  for (nlohmann::json& r : AuditRecords(out)) {
    if (r["event"] == "document") docs.push_back(std::move(r));
  }
  return docs;
}

// Every regular file under `dir`, relative, hidden state included.
inline std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) files.insert(fs::relative(it->path(), dir).string());
  }
  return files;
}

// A word on line `line` (12 pt apart) starting at x, 6 pt per character.
inline Word MakeWord(const std::string& text, double x, int line) {
  Word w;
  w.text = text;
  double y = 100 + line * 12;
  for (size_t i = 0; i < text.size(); ++i) {
    w.char_boxes.push_back({x + 6.0 * double(i), y, x + 6.0 * double(i + 1), y + 10});
  }
  w.box = {x, y, x + 6.0 * double(text.size()), y + 10};
  return w;
}

// A narrow table (columns at x = 10, 70, 170; a header row and one row over two lines) whose
// host cell broke "mdm01.corp.examp" / "le.police.uk" at its edge and whose owner cell wrapped
// "PC 1187 Jo" / "Bell" at a space. `spaces` says which words a space follows.
inline std::vector<Word> NarrowTableWords(std::vector<bool>* spaces) {
  std::vector<Word> words = {MakeWord("System", 10, 0),
                             MakeWord("Host", 70, 0),
                             MakeWord("Owner", 170, 0),
                             MakeWord("Remote", 10, 1),
                             MakeWord("mdm01.corp.examp", 70, 1),
                             MakeWord("PC", 170, 1),
                             MakeWord("1187", 188, 1),
                             MakeWord("Jo", 218, 1),
                             MakeWord("access", 10, 2),
                             MakeWord("le.police.uk", 70, 2),
                             MakeWord("Bell", 170, 2)};
  spaces->assign(words.size(), false);
  (*spaces)[5] = (*spaces)[6] = true;
  return words;
}

}  // namespace redact::testing

// Skips a test that needs ../shared (the shared corpus and real documents) where it is absent.
#define REQUIRE_SHARED()                      \
  if (::redact::testing::SharedDir().empty()) \
  GTEST_SKIP() << "../shared is not present; set REDACT_SHARED to its path"
