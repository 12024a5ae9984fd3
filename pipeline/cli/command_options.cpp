// The options of the commands that process documents (command_options.h).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipeline/batch/batch.h"
#include "pipeline/batch/document.h"
#include "pipeline/batch/inputs.h"
#include "pipeline/batch/run_start.h"
#include "pipeline/batch/worker.h"
#include "pipeline/cli/command_options.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/audit_key.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"
#include "pipeline/core/toml_file.h"
#include "pipeline/detect/detect.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_loader.h"
#include "pipeline/watch/watch.h"

namespace redact {
namespace po = boost::program_options;
namespace fs = std::filesystem;
using nlohmann::json;

namespace cli {

namespace {

// Parses `args` into `vm`; prints errors and help. Returns -1 to continue, else an exit code.
int Parse(const std::vector<std::string>& args, const po::options_description& visible,
          const po::options_description& all, const po::positional_options_description& pos,
          po::variables_map* vm, const char* usage) {
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), *vm);
    if (vm->count("help")) {
      std::cout << usage << "\n" << visible << "\n";
      return kExitOk;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    // The error, the usage line and where the rest is: not every option after it.
    const std::string first(usage, std::strchr(usage, '\n') ? std::strchr(usage, '\n') : usage);
    std::string command = first.substr(first.find("redact "));
    command = command.substr(0, command.find(' ', 7));
    std::cerr << "redact: " << e.what() << "\n"
              << first << "\n(" << command << " --help explains every option)\n";
    return kExitBadArguments;
  }
  return -1;
}

}  // namespace

// Parse, with every positional argument collected into `inputs`.
int ParseWithInputs(const std::vector<std::string>& args, const po::options_description& visible,
                    std::vector<std::string>* inputs, po::variables_map* vm, const char* usage) {
  po::options_description all;
  all.add(visible).add_options()("input", po::value(inputs)->composing());
  po::positional_options_description pos;
  pos.add("input", -1);
  return Parse(args, visible, all, pos, vm, usage);
}

namespace {

// --config FILE (TOML): what would otherwise be written on the command line (a unit's
// ExecStart), one key per long option (`jobs = 2`, `rules = ["a", "b"]`, `release-flagged =
// true`), and `inbox` / `inputs` / `out` for the folders. The command line wins over the file.
// Returns the file's options as arguments, or a message naming what is wrong.
Result<std::vector<std::string>> ConfigArgs(const std::string& path,
                                            const po::options_description& visible,
                                            const po::variables_map& given, bool has_inputs) {
  auto parsed = ReadTomlFile(path, 1 << 20);
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  std::vector<std::string> out, positional;
  for (auto&& [k, v] : doc) {
    std::string key(k.str());
    if (key == "inbox" || key == "inputs" || key == "input") {
      if (has_inputs) continue;  // given on the command line
      if (auto s = v.value<std::string>()) positional.push_back(*s);
      if (const toml::array* a = v.as_array()) {
        for (const toml::node& e : *a) {
          if (auto s = e.value<std::string>()) positional.push_back(*s);
        }
      }
      continue;
    }
    if (key == "out") key = "output";
    // The daemon's own keys: a batch reads the daemon's file (the review's apply does) for
    // everything else.
    if ((key == "settle" || key == "retry-after" || key == "log-format") &&
        !visible.find_nothrow(key, false)) {
      continue;
    }
    const po::option_description* opt = visible.find_nothrow(key, false);
    if (!opt || key == "config" || key == "help" || key == "check-config") {
      return Status::InvalidInput(path + ": unknown key '" + std::string(k.str()) + "'",
                                  "Keys are the command's long options without the dashes "
                                  "(see --help), and inbox/inputs and out.");
    }
    if (given.count(key) && !given[key].defaulted()) continue;  // the command line wins
    auto add = [&](const toml::node& n) -> Status {
      if (auto b = n.value_exact<bool>()) {
        if (*b) out.push_back("--" + key);
        return Status::Ok();
      }
      std::string value;
      if (auto s = n.value_exact<std::string>()) {
        value = *s;
      } else if (auto i = n.value_exact<int64_t>()) {
        value = std::to_string(*i);
      } else if (auto d = n.value_exact<double>()) {
        std::ostringstream os;
        os << *d;
        value = os.str();
      } else {
        return Status::InvalidInput(path + ": '" + key +
                                    "' must be a string, a number, a "
                                    "boolean or an array of them");
      }
      out.push_back("--" + key + "=" + value);
      return Status::Ok();
    };
    if (const toml::array* a = v.as_array()) {
      for (const toml::node& e : *a) {
        if (Status s = add(e); !s.ok()) return s;
      }
    } else if (Status s = add(v); !s.ok()) {
      return s;
    }
  }
  out.insert(out.end(), positional.begin(), positional.end());
  return out;
}

}  // namespace

// Parse with the inputs, then what the configuration file adds (--config, or `fallback` when
// it exists and no --config was given). `config` receives the file used, if any.
int ParseWithConfig(const std::vector<std::string>& args, po::options_description* visible,
                    std::vector<std::string>* inputs, po::variables_map* vm, const char* usage,
                    const char* command, const std::string& fallback, std::string* config) {
  visible->add_options()(
      "config", po::value(config),
      ("read options from this TOML file (the command line wins)" +
       (fallback.empty() ? std::string() : "; default " + fallback + " if it exists"))
          .c_str());
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) path = args[i].substr(9);
  }
  std::error_code ec;
  if (path.empty() && !fallback.empty() && fs::exists(fallback, ec)) path = fallback;
  if (path.empty()) return ParseWithInputs(args, *visible, inputs, vm, usage);
  // What the command line gives (stored, not checked: a required option may be the file's).
  po::variables_map given;
  std::vector<std::string> ignored;
  try {
    po::options_description all;
    all.add(*visible).add_options()("input", po::value(&ignored)->composing());
    po::positional_options_description pos;
    pos.add("input", -1);
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), given);
  } catch (const po::error&) {
    return ParseWithInputs(args, *visible, inputs, vm, usage);  // says what is wrong
  }
  if (given.count("help")) return ParseWithInputs(args, *visible, inputs, vm, usage);
  auto extra = ConfigArgs(path, *visible, given, given.count("input") > 0);
  if (!extra.ok()) {
    std::cerr << "redact " << command << ": --config: " << extra.status().message() << "\n";
    if (!extra.status().hint().empty()) std::cerr << "  " << extra.status().hint() << "\n";
    return kExitBadArguments;
  }
  std::vector<std::string> all = args;
  all.insert(all.end(), extra->begin(), extra->end());
  const int rc = ParseWithInputs(all, *visible, inputs, vm, usage);
  *config = path;
  return rc;
}

// Options that batch and scan share, bound to a JobConfig.
void AddDocumentOptions(po::options_description* d, JobConfig* c, std::string* ocr) {
  d->add_options()(
      "ocr", po::value(ocr)->default_value("auto"),
      "auto: OCR pages without a usable text layer and pages with pictures of text; "
      "always: OCR every page; never: no OCR (pages and images that need it are quarantined)")(
      "ocr-dpi", po::value(&c->ocr_dpi)->default_value(c->ocr_dpi),
      "resolution pages are rendered at for OCR (and scanned pages are released at)")(
      "ocr-min-confidence", po::value(&c->ocr_min_confidence)->default_value(c->ocr_min_confidence),
      "flags on OCR words below this confidence (0-100) are dropped; redactions never are")(
      "rules,r", po::value(&c->rules)->composing(),
      "rule file or folder of *.toml (repeatable); default: the installed rule packs")(
      "password", po::value(&c->password),
      "password for encrypted PDFs (owner or user password); seen by anyone who lists the "
      "machine's processes: prefer --password-file or $REDACT_PASSWORD")(
      "password-file", po::value<std::string>(),
      "read the password from the first line of this file (e.g. one only you can read)")(
      "max-pages", po::value(&c->max_pages)->default_value(c->max_pages),
      "PDFs with more pages are quarantined")(
      "max-file-mb", po::value<uint64_t>()->default_value(c->max_file_bytes >> 20),
      "larger files are quarantined")(
      "max-page-pixels",
      po::value(&c->max_page_pixels)->default_value(c->max_page_pixels, "69.6M (A3 at 600 DPI)"),
      "pages that would need more pixels are quarantined, not attempted");
}

bool ParseOcrMode(const std::string& s, OcrMode* mode) {
  if (s == "auto") {
    *mode = OcrMode::kAuto;
  } else if (s == "always") {
    *mode = OcrMode::kAlways;
  } else if (s == "never") {
    *mode = OcrMode::kNever;
  } else {
    std::cerr << "redact: --ocr must be auto, always or never\n";
    return false;
  }
  return true;
}

// Processing options batch and watch share, bound to a JobConfig.
void AddRunOptions(po::options_description* d, JobConfig* c, std::string* audit_text) {
  d->add_options()("output,o", po::value(&c->out)->required(),
                   "output folder OUT (created if missing)")(
      "jobs,j", po::value(&c->jobs)->default_value(0), "documents in parallel; 0 = all cores")(
      "dpi", po::value(&c->dpi)->default_value(c->dpi), "resolution of release pages")(
      "audit-text", po::value(audit_text)->default_value(*audit_text),
      "matched text in the audit log: plain, hash (sha256) or none")(
      "no-sidecar", "do not write the <name>.txt text beside each release PDF")(
      "release-flagged",
      "release documents whose flags nobody has decided (the flagged text is kept) instead "
      "of holding them in OUT/review/ for a decision")(
      "timeout", po::value(&c->timeout_seconds)->default_value(c->timeout_seconds),
      "seconds one document may take before it is stopped and quarantined")(
      "max-memory-mb", po::value<uint64_t>()->default_value(c->max_memory_bytes >> 20),
      "memory one document may use before it is stopped and quarantined")(
      "key-file", po::value(&c->key_file),
      "the secret that fingerprints and --audit-text hash are keyed with (HMAC-SHA256), made "
      "on first use, mode 0600; keep it outside OUT (default $REDACT_KEY_FILE, else "
      "~/.local/state/redact/audit.key)")(
      "libreoffice-per-document",
      "start LibreOffice afresh for every Office document (a second or more "
      "each) instead of keeping one per --jobs slot, so that no two documents share one");
}

// Reads back what AddRunOptions and AddDocumentOptions could not bind directly.
// The password: --password, else the first line of --password-file, else $REDACT_PASSWORD.
bool ResolvePassword(const po::variables_map& vm, const char* command, JobConfig* c) {
  if (vm.count("password-file")) {
    const std::string path = vm["password-file"].as<std::string>();
    auto bytes = ReadFile(path, 1 << 16);
    if (!bytes.ok()) {
      std::cerr << "redact " << command << ": --password-file: " << bytes.status().message()
                << "\n";
      return false;
    }
    std::string line = bytes->substr(0, bytes->find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    c->password = line;
  } else if (c->password.empty()) {
    if (const char* env = std::getenv("REDACT_PASSWORD")) c->password = env;
  }
  return true;
}

bool FinishRunOptions(const po::variables_map& vm, const std::string& ocr,
                      const std::string& audit_text, const char* command, JobConfig* c) {
  if (!ParseOcrMode(ocr, &c->ocr)) return false;
  if (!ResolvePassword(vm, command, c)) return false;
  c->sidecar = vm.count("no-sidecar") == 0;
  c->release_flagged = vm.count("release-flagged") > 0;
  c->libreoffice_per_document = vm.count("libreoffice-per-document") > 0;
  c->max_file_bytes = vm["max-file-mb"].as<uint64_t>() << 20;
  c->max_memory_bytes = vm["max-memory-mb"].as<uint64_t>() << 20;
  if (!(c->timeout_seconds > 0)) {
    std::cerr << "redact " << command << ": --timeout must be a positive number of seconds\n";
    return false;
  }
  if (audit_text == "plain") {
    c->audit_text = AuditText::kPlain;
  } else if (audit_text == "hash") {
    c->audit_text = AuditText::kHash;
  } else if (audit_text == "none") {
    c->audit_text = AuditText::kNone;
  } else {
    std::cerr << "redact " << command << ": --audit-text must be plain, hash or none\n";
    return false;
  }
  return true;
}

// Loads (or on first use makes) the audit key into c->audit_key. -1 when it did; else the
// exit code, the reason said on stderr.
int LoadKey(const char* command, JobConfig* c) {
  if (c->key_file.empty()) c->key_file = DefaultAuditKeyPath();
  auto key = LoadAuditKey(c->key_file);
  if (!key.ok()) {
    std::cerr << "redact " << command << ": " << key.status().message() << "\n  "
              << key.status().hint() << "\n";
    return ExitCodeFor(key.status());
  }
  c->audit_key = *key;
  return -1;
}

}  // namespace cli

}  // namespace redact
