// redact review OUT: the interactive review in the browser (review/review_server.h).
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "pipeline/cli/commands.h"
#include "pipeline/core/audit_key.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/toml_file.h"
#include "pipeline/review/review_server.h"

namespace redact {
namespace po = boost::program_options;

namespace {

const char* kReviewUsage = R"(Usage: redact review OUT [options]

A local web application over a batch's (or the daemon's) OUT: every document's pages at a
readable size with each finding drawn and numbered, accept or reject findings (one, or every
finding of a rule), search a term across the batch and redact every hit, draw an area over a
page (a signature, a photo), withhold a page; then Apply: the documents whose decisions changed
run again, documents with no open flags move to OUT/release/, and the new release shows
beside the draft. Every decision is written at once to OUT/audit/decisions.toml (the file a
reviewer can also edit by hand, and pass to redact batch --decisions).

It listens on 127.0.0.1 only and prints a URL holding a random token: open that URL in a
browser on this machine. Requests without the token are refused, and so are changes that do
not come from its own page. The drafts' text is sensitive: anyone who has the URL and can
reach this machine's 127.0.0.1 (its other users, over SSH forwarding) can read them; stop the
server (Ctrl-C) when done.

Options:
)";

// The daemon's configuration file when it is the one that writes OUT: its key, rules and
// --audit-text are what apply's runs must use (another key would make every decision stale).
std::string DaemonConfigFor(const std::string& out) {
  const char* env = std::getenv("REDACT_CONFIG");
  const std::string path = env && *env ? env : "/etc/redact/redact.toml";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "";
  auto parsed = ReadTomlFile(path, 1 << 20);
  if (!parsed.ok()) return "";
  const auto its_out = (*parsed)["out"].value<std::string>();
  if (!its_out || !std::filesystem::equivalent(*its_out, out, ec)) return "";
  return path;
}

}  // namespace

int ReviewCommand(const std::vector<std::string>& args) {
  ReviewOptions options;
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help")("port",
                                                    po::value(&options.port)->default_value(0),
                                                    "port on 127.0.0.1 (0: a free one, printed)")(
      "reviewer", po::value(&options.reviewer),
      "who decides (recorded with every decision; the page can change it)")(
      "dpi", po::value(&options.dpi)->default_value(100), "resolution of the page views")(
      "config", po::value(&options.config),
      "the configuration file apply's runs read (the audit key, rules, --audit-text); default "
      "the daemon's ($REDACT_CONFIG, else /etc/redact/redact.toml) when its out is OUT")(
      "key-file", po::value(&options.key_file),
      "the audit key apply's runs use (default: the configuration's, else $REDACT_KEY_FILE, "
      "else ~/.local/state/redact/audit.key)");
  po::options_description hidden;
  hidden.add_options()("out", po::value(&options.out));
  po::positional_options_description pos;
  pos.add("out", 1);
  po::options_description all;
  all.add(visible).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "redact review: " << e.what() << "\n\n" << kReviewUsage << visible;
    return kExitBadArguments;
  }
  if (vm.count("help")) {
    std::cout << kReviewUsage << visible;
    return kExitOk;
  }
  if (options.out.empty()) {
    std::cerr << "redact review: which OUT? e.g. redact review out (see --help)\n";
    return kExitBadArguments;
  }
  if (options.port < 0 || options.port > 65535 || options.dpi < 30 || options.dpi > 300) {
    std::cerr << "redact review: --port is 0..65535 and --dpi 30..300\n";
    return kExitBadArguments;
  }
  if (options.config.empty()) options.config = DaemonConfigFor(options.out);
  std::error_code ec;
  // The installation's key, if it has one (never made here): the audit's anchor is checked.
  if (const std::string key_file = DefaultAuditKeyPath();
      !key_file.empty() && std::filesystem::is_regular_file(key_file, ec)) {
    if (auto key = LoadAuditKey(key_file); key.ok()) options.audit_key = *key;
  }
  options.self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  options.stop = &g_stop_requested;
  options.on_ready = [](const std::string& url) {
    std::cout << "redact review: open " << url << "\n  (Ctrl-C to stop)" << std::endl;
  };
  const int rc = RunReviewServer(options, std::cerr);
  // Stopped by Ctrl-C or SIGTERM: that is how it ends, not an interruption of work.
  if (rc == kExitOk) g_stop_requested = false;
  return rc;
}

}  // namespace redact
