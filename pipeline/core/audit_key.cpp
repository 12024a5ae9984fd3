#include "pipeline/core/audit_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "pipeline/core/hash.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

const char* kHint =
    "Give a key file the run can read and create with --key-file (or $REDACT_KEY_FILE); keep "
    "it outside OUT, mode 0600.";

bool IsHexKey(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> ReadKey(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return Status::Io("cannot read the audit key " + path + ": " + std::strerror(errno), kHint);
  struct stat st;
  std::string data(256, '\0');
  ssize_t n = -1;
  if (::fstat(fd, &st) == 0) n = ::read(fd, data.data(), data.size());
  ::close(fd);
  if (n < 0) return Status::Io("cannot read the audit key " + path, kHint);
  // The owner's, and readable by its group at most: an FOI unit's members read the daemon's
  // key to review and apply (a group-shared folder makes it so).
  if (!S_ISREG(st.st_mode) || (st.st_mode & 037) != 0) {
    return Status::InvalidInput("the audit key " + path + " can be read or changed by others",
                                "Make it the owner's alone (chmod 600 " + path +
                                    "), or the owner's and readable by its group (chmod 640).");
  }
  data.resize(size_t(n));
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r' || data.back() == ' ')) {
    data.pop_back();
  }
  if (!IsHexKey(data)) {
    return Status::InvalidInput("the audit key " + path + " is not 64 hex digits",
                                "Remove it to have a new one made (fingerprints in earlier "
                                "decisions files then no longer match), or restore the old one.");
  }
  return data;
}

}  // namespace

std::string DefaultAuditKeyPath() {
  if (const char* p = std::getenv("REDACT_KEY_FILE"); p && *p) return p;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    return (fs::path(state) / "redact" / "audit.key").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".local" / "state" / "redact" / "audit.key").string();
  }
  return "";
}

Result<std::string> LoadAuditKey(const std::string& path) {
  if (path.empty()) {
    return Status::InvalidInput("there is no home folder to keep the audit key in", kHint);
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return ReadKey(path);
  // First use: 32 random bytes, written whole under a temporary name, then linked into place
  // (link fails if another run made one meanwhile: that one is used).
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return Status::Io("cannot make " + dir.string() + " for the audit key: " + ec.message(),
                        kHint);
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  const std::optional<std::string> made = RandomHex(32);
  if (!made) return Status::Engine("OpenSSL could not make a random key");
  const std::string& key = *made;
  const std::string tmp = path + ".new." + std::to_string(::getpid());
  // In a setgid folder (an FOI unit's, /var/lib/redact with mode 2750) the key is the group's
  // to read, so that its members' reviews use the daemon's key; elsewhere the owner's alone.
  struct stat dst;
  const bool shared = ::stat(dir.empty() ? "." : dir.c_str(), &dst) == 0 && (dst.st_mode & S_ISGID);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0 && shared) ::fchmod(fd, 0640);  // past the umask
  if (fd < 0)
    return Status::Io("cannot create the audit key " + path + ": " + std::strerror(errno), kHint);
  const std::string line = key + "\n";
  const bool written =
      ::write(fd, line.data(), line.size()) == ssize_t(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return Status::Io("cannot write the audit key " + path, kHint);
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && err != EEXIST) {
    return Status::Io("cannot create the audit key " + path + ": " + std::strerror(err), kHint);
  }
  return ReadKey(path);
}

std::string AuditKeyId(const std::string& key) {
  return HmacSha256Hex(key, "redact audit key id").substr(0, 16);
}

}  // namespace redact
