#include "pipeline/extract/office.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pipeline/core/files.h"
#include "pipeline/core/text.h"
#include "pipeline/extract/libreoffice.h"
#include "pipeline/extract/office_package.h"
#include "pipeline/extract/office_server.h"

namespace redact {
namespace fs = std::filesystem;

// soffice.bin itself, not the soffice script: the script starts a launcher whose child would
// not die with the worker.
std::string LibreOfficeProgram() {
  if (const char* p = std::getenv("REDACT_SOFFICE")) return p;
  return "/usr/lib/libreoffice/program/soffice.bin";
}

std::string LibreOfficeProgramDir() {
  return fs::path(LibreOfficeProgram()).parent_path().string();
}

std::string FileUrl(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

// The throwaway profile: macros never run, and nothing is fetched or updated from elsewhere.
const char* kProfileSettings = R"(<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
)";

}  // namespace

Status WriteLibreOfficeProfile(const std::string& profile_dir) {
  std::error_code ec;
  fs::create_directories(profile_dir + "/user", ec);
  if (ec)
    return Status::Io("cannot make a LibreOffice profile in " + profile_dir + ": " + ec.message());
  return WriteFileAtomic(profile_dir + "/user/registrymodifications.xcu", kProfileSettings);
}

std::vector<std::string> LibreOfficeEnvironment(const std::string& home, const std::string& tmp) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string var = *e;
    const std::string name = var.substr(0, var.find('='));
    if (name == "LANG" || name == "LANGUAGE" || name == "TZ" || name.rfind("LC_", 0) == 0 ||
        name.rfind("ASAN_", 0) == 0 || name.rfind("LSAN_", 0) == 0 ||
        name.rfind("UBSAN_", 0) == 0) {
      env.push_back(var);
    }
  }
  env.push_back("HOME=" + home);
  env.push_back("TMPDIR=" + tmp);
  // No programs to find: a document has LibreOffice start none (it looks for GnuPG's to check
  // signatures, a third of a second per document, and there is nothing here to sign).
  env.push_back("PATH=/nonexistent");
  return env;
}

pid_t SpawnConfined(const ConfinedChild& child) {
  // Everything the child needs, made before fork: it may only make async-signal-safe calls.
  std::vector<std::string> a = child.args, e = child.env;
  std::vector<char*> argv, envp;
  for (std::string& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (std::string& s : e) envp.push_back(s.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (child.die_with_thread) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
  }
  ::setpgid(0, 0);
  if (child.max_memory_bytes > 0) {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = child.max_memory_bytes;
    ::setrlimit(RLIMIT_AS, &rl);
  }
  int log = ::open(child.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int out = child.stdout_fd >= 0 ? child.stdout_fd : log;
  if (out >= 0) ::dup2(out, STDOUT_FILENO);
  if (log >= 0) ::dup2(log, STDERR_FILENO);
  const int in = child.stdin_fd >= 0 ? child.stdin_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in >= 0) ::dup2(in, STDIN_FILENO);
  // Nothing of ours but the three standard streams (a worker's answer pipe above all).
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  if (::chdir(child.work_dir.c_str()) != 0) ::_exit(127);
  ::execve(argv[0], argv.data(), envp.data());
  ::_exit(127);
}

namespace {

const char* kInstallHint =
    "Install LibreOffice's headless parts (apt-get install libreoffice-writer-nogui "
    "libreoffice-calc-nogui), or save the document as PDF and submit that.";

struct Run {
  bool timed_out = false;
  int exit_code = -1;
  int signal = 0;
};

using Deadline = std::chrono::steady_clock::time_point;

// Seconds left before `deadline` (at least a little, so that a late step still says why).
double SecondsLeft(Deadline deadline) {
  const double left =
      std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
  return std::max(0.5, left);
}

// One LibreOffice conversion of `input` to `format` into `out_dir`.
Run RunLibreOffice(const std::string& input, const std::string& format, const std::string& out_dir,
                   const std::string& work_dir, Deadline deadline) {
  std::vector<std::string> args = {LibreOfficeProgram(),
                                   "-env:UserInstallation=" + FileUrl(work_dir + "/profile"),
                                   "--headless",
                                   "--invisible",
                                   "--norestore",
                                   "--nolockcheck",
                                   "--nodefault",
                                   "--nologo",
                                   "--convert-to",
                                   format,
                                   "--outdir",
                                   out_dir,
                                   input};
  ConfinedChild child;
  child.args = std::move(args);
  child.env = LibreOfficeEnvironment(work_dir, work_dir);
  child.work_dir = work_dir;
  child.log = work_dir + "/libreoffice.log";  // the worker's memory limit holds
  const pid_t pid = SpawnConfined(child);
  Run run;
  if (pid < 0) return run;
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return run;
    if (std::chrono::steady_clock::now() >= deadline) {
      run.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGKILL);  // anything it left behind in its group
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

Status TookTooLong(double seconds) {
  return Status::TooLarge("LibreOffice took longer than " + std::to_string(int(seconds)) +
                              " s to render the document and was stopped",
                          "The file may be damaged or built to exhaust readers; if it is "
                          "genuine, save it as PDF and submit that.");
}

// `input` converted to `format` ("pdf", "odt", ...) as out_dir/<stem>.<ext> by a LibreOffice
// of its own, or an error saying what LibreOffice did.
Result<std::string> Convert(const std::string& input, const std::string& format,
                            const std::string& ext, const std::string& out_dir,
                            const std::string& work_dir, const OfficeOptions& options,
                            Deadline deadline) {
  const std::string out =
      (fs::path(out_dir) / (fs::path(input).stem().string() + "." + ext)).string();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Run run = RunLibreOffice(input, format, out_dir, work_dir, deadline);
    if (run.timed_out) return TookTooLong(options.timeout_seconds);
    // 81: the first start of a new profile, which asks to be started again.
    if (run.exit_code == 81) continue;
    std::error_code ec;
    if (run.exit_code == 0 && fs::is_regular_file(out, ec) && fs::file_size(out, ec) > 0) {
      return out;
    }
    if (run.signal != 0) {
      return Status::Engine(
          "LibreOffice crashed (signal " + std::to_string(run.signal) + ") rendering the document",
          "The file is probably damaged; open it in the word processor, save "
          "it again (or as PDF) and submit that.");
    }
    if (run.exit_code == 127 || run.exit_code < 0) {
      return Status::MissingDependency(
          "LibreOffice could not be started (" + LibreOfficeProgram() + ")", kInstallHint);
    }
    break;
  }
  return Status::InvalidInput("LibreOffice could not read the document as " + format,
                              "The file may be damaged, password-protected or of a kind "
                              "LibreOffice does not know; save it as PDF and submit that.");
}

// `input` as PDF ("pdf") or as OpenDocument of its own kind ("odf") in out_dir, through the
// worker slot's LibreOffice when there is one, else a LibreOffice started for it alone; all
// of a document's conversions within one `deadline`.
Result<std::string> ConvertTo(const std::string& input, const std::string& to,
                              const std::string& out_dir, const std::string& work_dir,
                              const OfficeOptions& options, Deadline deadline) {
  if (options.server.valid()) {
    OfficeRequest request{input, out_dir, fs::path(input).stem().string(), to};
    auto out = ConvertOnServer(options.server, request, SecondsLeft(deadline));
    if (out.ok()) return out;
    if (out.status().code() == Status::Code::kTooLarge) return TookTooLong(options.timeout_seconds);
    // Any other failure (no server to answer, one that died under the document, one that
    // could not load it: LibreOfficeKit refuses a few files LibreOffice's own command line
    // reads) is not yet the document's: a LibreOffice of its own has the last word.
  }
  if (to == "pdf") return Convert(input, "pdf", "pdf", out_dir, work_dir, options, deadline);
  Result<std::string> odf = Status::InvalidInput("");
  for (const char* ext : {"odt", "ods", "odp"}) {
    odf = Convert(input, ext, ext, out_dir, work_dir, options, deadline);
    if (odf.ok() || odf.status().code() != Status::Code::kInvalidInput) break;
  }
  return odf;
}

bool IsOle2(const std::string& head) {
  return head.rfind("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 0) == 0;
}

// A password-protected OOXML file is an OLE2 container holding "EncryptedPackage".
bool EncryptedOoxml(const std::string& head) {
  const std::string name("E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0", 32);
  return IsOle2(head) && head.find(name) != std::string::npos;
}

const char* ExtensionOf(OfficeFormat f) {
  switch (f) {
    case OfficeFormat::kDocx:
      return "docx";
    case OfficeFormat::kOdfText:
      return "odt";
    case OfficeFormat::kOdfSpreadsheet:
      return "ods";
    default:
      return "odp";
  }
}

}  // namespace

Status CheckLibreOfficeAvailable() {
  if (::access(LibreOfficeProgram().c_str(), X_OK) != 0) {
    return Status::MissingDependency("LibreOffice is not installed (" + LibreOfficeProgram() +
                                         "): Office documents cannot be "
                                         "read",
                                     kInstallHint);
  }
  return Status::Ok();
}

namespace {

// The work folder's profile (with our settings) and output folders.
Status PrepareWorkDir(const std::string& work_dir) {
  if (Status s = CheckLibreOfficeAvailable(); !s.ok()) return s;
  std::error_code ec;
  for (const char* sub : {"/odf", "/pdf"}) {
    fs::create_directories(work_dir + sub, ec);
    if (ec) return Status::Io("cannot make a work folder in " + work_dir + ": " + ec.message());
  }
  // For a LibreOffice of the document's own (no server, or its server gone).
  return WriteLibreOfficeProfile(work_dir + "/profile");
}

}  // namespace

Result<ConvertedOffice> ConvertOfficeDocument(const Source& source, const std::string& work_dir,
                                              const OfficeOptions& options) {
  const Deadline deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(int64_t(options.timeout_seconds * 1000));
  if (Status s = PrepareWorkDir(work_dir); !s.ok()) return s;
  std::string head(4096, '\0');
  {
    std::ifstream f(source.path, std::ios::binary);
    f.read(head.data(), std::streamsize(head.size()));
    head.resize(size_t(f.gcount()));
  }
  if (EncryptedOoxml(head)) {
    return Status::Encrypted("the Office document is password-protected",
                             "Save it without a password (File > Info > Protect Document) and "
                             "submit it again.");
  }
  // A package we clean ourselves, or one LibreOffice first turns into OpenDocument.
  std::string package = source.path;
  OfficeFormat format = OfficeFormat::kOtherZip;
  if (head.rfind("PK\x03\x04", 0) == 0) {
    auto f = OfficePackageFormat(source.path, {});
    if (!f.ok()) return f.status();
    format = *f;
  }
  if (format == OfficeFormat::kOtherZip) {
    // LibreOffice picks its import filter by content and extension: give it the original name.
    std::string ext = fs::path(source.relative).extension().string();
    const std::string copy = work_dir + "/original" + (ext.empty() ? ".doc" : ext);
    if (Status s = CopyFileAtomic(source.path, copy); !s.ok()) return s;
    auto odf = ConvertTo(copy, "odf", work_dir + "/odf", work_dir, options, deadline);
    if (!odf.ok()) return odf.status();
    package = *odf;
    auto f = OfficePackageFormat(package, {});
    if (!f.ok()) return f.status();
    format = *f;
  }
  const std::string cleaned_path = work_dir + "/document." + ExtensionOf(format);
  auto cleaned = CleanOfficePackage(package, cleaned_path);
  if (!cleaned.ok()) return cleaned.status();
  auto pdf = ConvertTo(cleaned_path, "pdf", work_dir + "/pdf", work_dir, options, deadline);
  if (!pdf.ok()) return pdf.status();
  ConvertedOffice out;
  out.pdf_path = *pdf;
  out.hidden = std::move(cleaned->hidden);
  out.withheld = std::move(cleaned->withheld);
  out.visible = std::move(cleaned->visible);
  return out;
}

}  // namespace redact
