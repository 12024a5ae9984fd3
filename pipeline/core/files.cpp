#include "pipeline/core/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>

namespace redact {
namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status::Io("cannot read " + path + ": " + ec.message());
  if (size > max_bytes) {
    return Status::TooLarge(path + " is " + std::to_string(size) + " bytes, over the limit of " +
                            std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io("cannot open " + path + " for reading");
  std::string data(size, '\0');
  in.read(data.data(), std::streamsize(size));
  if (!in) return Status::Io("read error on " + path);
  return data;
}

std::string TempPathBeside(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  fs::path p(path);
  std::string name = ".";
  name.append(p.filename().string());
  name.append(".tmp.");
  name.append(std::to_string(::getpid()));
  name.push_back('.');
  name.append(std::to_string(counter++));
  return (p.parent_path() / name).string();
}

namespace {

Status WriteNew(const std::string& path, std::string_view data, Env* env, bool sync) {
  auto file = env->NewWritableFile(path);
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(data);
  if (s.ok() && sync) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (!s.ok()) env->RemoveFile(path);
  return s;
}

Status WriteAtomic(const std::string& path, std::string_view data, Env* env, bool sync) {
  fs::path p(path);
  if (p.has_parent_path()) {
    if (Status s = env->CreateDirs(p.parent_path().string()); !s.ok()) return s;
  }
  std::string tmp = TempPathBeside(path);
  Status s = WriteNew(tmp, data, env, sync);
  if (!s.ok()) return s;
  s = sync ? env->RenameFile(tmp, path) : env->RenameFileUnsynced(tmp, path);
  if (!s.ok()) env->RemoveFile(tmp);
  return s;
}

}  // namespace

Status WriteNewFile(const std::string& path, std::string_view data, Env* env) {
  return WriteNew(path, data, env, true);
}

Status WriteFileAtomic(const std::string& path, std::string_view data, Env* env) {
  return WriteAtomic(path, data, env, true);
}

Status WriteFileAtomicUnsynced(const std::string& path, std::string_view data, Env* env) {
  return WriteAtomic(path, data, env, false);
}

Status CopyFileAtomic(const std::string& from, const std::string& to, Env* env) {
  auto data = ReadFile(from);
  if (!data.ok()) return data.status();
  return WriteFileAtomic(to, *data, env);
}

Status AppendLineDurable(const std::string& path, std::string_view line, Env* env) {
  fs::path p(path);
  if (p.has_parent_path()) {
    if (Status s = env->CreateDirs(p.parent_path().string()); !s.ok()) return s;
  }
  std::error_code ec;
  const uint64_t before = fs::exists(path, ec) ? fs::file_size(path, ec) : 0;
  auto file = env->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  std::string buf(line);
  buf.push_back('\n');
  Status s = (*file)->Append(buf);
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (!s.ok()) {
    // Half a line would break the chain for every later reader: take it back.
    (*file)->Close().ok();
    if (Status t = env->TruncateFile(path, before); !t.ok()) {
      return Status::FromCode(s.code(), s.message() + "; " + t.message(), s.hint());
    }
  }
  return s;
}

bool WriteFully(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

bool ShareOutWithItsGroup(const std::string& out) {
  struct stat st;
  if (::stat(out.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (!(st.st_mode & S_ISGID) || (st.st_mode & S_IRWXG) != S_IRWXG) return false;
  const mode_t mask = ::umask(0);
  const mode_t owner = (mask & S_IRWXU) >> 3;
  ::umask((mask & ~S_IRWXG) | owner);
  return true;
}

FileLock::FileLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return;
  while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace redact
