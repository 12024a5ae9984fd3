#include "pipeline/extract/office.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
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
#include "pipeline/extract/office_package.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

const char* kInstallHint =
    "Install LibreOffice's headless parts (apt-get install libreoffice-writer-nogui "
    "libreoffice-calc-nogui), or save the document as PDF and submit that.";

// soffice.bin itself, not the soffice script: the script starts a launcher whose child would
// not die with the worker.
std::string LibreOfficeProgram() {
  if (const char* p = std::getenv("REDACT_SOFFICE")) return p;
  return "/usr/lib/libreoffice/program/soffice.bin";
}

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

// A file URL for `path`, every byte but unreserved ones percent-encoded (a folder named
// "a#b" would otherwise cut the URL short, and LibreOffice fall back to another profile).
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

struct Run {
  bool timed_out = false;
  int exit_code = -1;
  int signal = 0;
};

// One LibreOffice conversion of `input` to `format` into `out_dir`.
Run RunLibreOffice(const std::string& input, const std::string& format, const std::string& out_dir,
                   const std::string& work_dir, double timeout_seconds,
                   const std::string& infilter) {
  const std::string program = LibreOfficeProgram();
  const std::string profile = "-env:UserInstallation=" + FileUrl(work_dir + "/profile");
  std::vector<std::string> args = {program,        profile,         "--headless",  "--invisible",
                                   "--norestore",  "--nolockcheck", "--nodefault", "--nologo",
                                   "--convert-to", format,          "--outdir",    out_dir,
                                   input};
  if (!infilter.empty()) args.insert(args.end() - 1, "--infilter=" + infilter);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = work_dir + "/libreoffice.log";
  // Its environment, made before fork (the child may only make async-signal-safe calls): no
  // display, and a home of its own.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string var = *e;
    if (var.rfind("HOME=", 0) == 0 || var.rfind("DISPLAY=", 0) == 0 ||
        var.rfind("WAYLAND_DISPLAY=", 0) == 0) {
      continue;
    }
    env.push_back(var);
  }
  env.push_back("HOME=" + work_dir);
  std::vector<char*> envp;
  for (std::string& v : env) envp.push_back(v.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  Run run;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the worker, whatever kills it
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    // Nothing of the worker's but the three standard streams (the answer pipe above all).
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
    if (::chdir(work_dir.c_str()) != 0) ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (pid < 0) return run;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(timeout_seconds * 1000));
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

// `input` converted to `format` ("pdf", "odt", ...) as out_dir/<stem>.<ext>, or an error
// saying what LibreOffice did.
Result<std::string> Convert(const std::string& input, const std::string& format,
                            const std::string& ext, const std::string& out_dir,
                            const std::string& work_dir, const OfficeOptions& options,
                            const std::string& infilter = {}) {
  const std::string out =
      (fs::path(out_dir) / (fs::path(input).stem().string() + "." + ext)).string();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Run run = RunLibreOffice(input, format, out_dir, work_dir, options.timeout_seconds, infilter);
    if (run.timed_out) {
      return Status::TooLarge("LibreOffice took longer than " +
                                  std::to_string(int(options.timeout_seconds)) +
                                  " s to render the document and was stopped",
                              "The file may be damaged or built to exhaust readers; if it is "
                              "genuine, save it as PDF and submit that.");
    }
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
  for (const char* sub : {"/profile/user", "/odf", "/pdf"}) {
    fs::create_directories(work_dir + sub, ec);
    if (ec) return Status::Io("cannot make a work folder in " + work_dir + ": " + ec.message());
  }
  return WriteFileAtomic(work_dir + "/profile/user/registrymodifications.xcu", kProfileSettings);
}

}  // namespace

Result<std::string> PrintTextWithLibreOffice(const std::string& text, const std::string& work_dir,
                                             const OfficeOptions& options) {
  if (Status s = PrepareWorkDir(work_dir); !s.ok()) return s;
  const std::string path = work_dir + "/message.txt";
  if (Status s = WriteFileAtomic(path, text); !s.ok()) return s;
  // Plain text in UTF-8, lines ending in LF: nothing in it is read as markup.
  return Convert(path, "pdf:writer_pdf_Export", "pdf", work_dir + "/pdf", work_dir, options,
                 "Text (encoded):UTF8,LF,,,");
}

Result<ConvertedOffice> ConvertOfficeDocument(const Source& source, const std::string& work_dir,
                                              const OfficeOptions& options) {
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
    Result<std::string> odf = Status::InvalidInput("");
    for (const char* to : {"odt", "ods", "odp"}) {
      odf = Convert(copy, to, to, work_dir + "/odf", work_dir, options);
      if (odf.ok() || odf.status().code() != Status::Code::kInvalidInput) break;
    }
    if (!odf.ok()) return odf.status();
    package = *odf;
    auto f = OfficePackageFormat(package, {});
    if (!f.ok()) return f.status();
    format = *f;
  }
  const std::string cleaned_path = work_dir + "/document." + ExtensionOf(format);
  auto cleaned = CleanOfficePackage(package, cleaned_path);
  if (!cleaned.ok()) return cleaned.status();
  auto pdf = Convert(cleaned_path, "pdf", "pdf", work_dir + "/pdf", work_dir, options);
  if (!pdf.ok()) return pdf.status();
  ConvertedOffice out;
  out.pdf_path = *pdf;
  out.hidden = std::move(cleaned->hidden);
  out.withheld = std::move(cleaned->withheld);
  out.visible = std::move(cleaned->visible);
  return out;
}

}  // namespace redact
