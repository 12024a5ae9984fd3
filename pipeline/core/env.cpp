#include "pipeline/core/env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace redact {
namespace fs = std::filesystem;

Status IoError(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Status::OutputUnavailable(
          std::move(msg),
          "The disk is full (or over quota): free space and run again; the "
          "document itself is fine and nothing of it was published.");
    case EROFS:
    case EACCES:
    case EPERM:
      return Status::OutputUnavailable(
          std::move(msg),
          "The folder cannot be written (read-only, or not ours): choose an "
          "output folder this user can write, or fix its permissions.");
    case EIO:
      return Status::OutputUnavailable(
          std::move(msg),
          "The disk reported an I/O error: check it (dmesg) before running "
          "again; nothing of the document was published.");
    default:
      return Status::Io(std::move(msg));
  }
}

namespace {

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write failed on", path_, errno);
      }
      done += size_t(n);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return IoError("fsync failed on", path_, errno);
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return IoError("close failed on", path_, errno);
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixScratchFile : public ScratchFile {
 public:
  explicit PosixScratchFile(int fd) : fd_(fd) {}
  ~PosixScratchFile() override { ::close(fd_); }
  Status WriteAt(uint64_t offset, std::string_view data) override {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, off_t(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return IoError("cannot write", "a temporary file", n < 0 ? errno : ENOSPC);
      done += size_t(n);
    }
    return Status::Ok();
  }
  Status ReadAt(uint64_t offset, size_t size, std::string* out) const override {
    out->assign(size, '\0');
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(fd_, out->data() + done, size - done, off_t(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("cannot read back", "a temporary file", errno);
      if (n == 0) return Status::Io("a temporary file is shorter than was written");
      done += size_t(n);
    }
    return Status::Ok();
  }

 private:
  int fd_;
};

class PosixEnv : public Env {
 public:
  Result<std::unique_ptr<ScratchFile>> NewScratchFile(const std::string& dir) override {
    // O_TMPFILE makes a file that never has a name; where the file system lacks it, a named
    // file is unlinked at once.
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::string name = dir + "/.redact-spill-XXXXXX";
      fd = ::mkostemp(name.data(), O_CLOEXEC);
      if (fd >= 0) ::unlink(name.c_str());
    }
    if (fd < 0) return IoError("cannot make a temporary file in", dir, errno);
    return std::unique_ptr<ScratchFile>(std::make_unique<PosixScratchFile>(fd));
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return Open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, "cannot create");
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return Open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, "cannot open for appending");
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return IoError("cannot rename " + from + " to", to, errno);
    }
    const fs::path dir = fs::path(to).parent_path();
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);  // some file systems cannot sync a folder; the rename itself is done
      ::close(fd);
    }
    return Status::Ok();
  }
  Status RenameFileUnsynced(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return IoError("cannot rename " + from + " to", to, errno);
    }
    return Status::Ok();
  }
  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return IoError("cannot create folder", dir, ec.value());
    return Status::Ok();
  }
  void RemoveFile(const std::string& path) override { ::unlink(path.c_str()); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), off_t(size)) != 0) return IoError("cannot truncate", path, errno);
    return Status::Ok();
  }
  std::time_t Now() override { return std::time(nullptr); }

 private:
  static Result<std::unique_ptr<WritableFile>> Open(const std::string& path, int flags,
                                                    const char* what) {
    // The umask decides who else may read or write it (a shared OUT: the group, see
    // ShareOutWithItsGroup).
    int fd = ::open(path.c_str(), flags, 0666);
    if (fd < 0) return IoError(what, path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path));
  }
};

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv;  // never deleted: threads may still use it at exit
  return env;
}

RecordClock::RecordClock(Env* env, bool deterministic) : env_(env), deterministic_(deterministic) {
  if (deterministic_) {
    // SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else the epoch.
    const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
    fixed_ = epoch ? std::time_t(std::atoll(epoch)) : 0;
  }
}

std::string RecordClock::Now() const {
  std::time_t t = deterministic_ ? fixed_ : env_->Now();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace redact
