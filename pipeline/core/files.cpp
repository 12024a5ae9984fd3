#include "pipeline/core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace redact {
namespace fs = std::filesystem;

namespace {

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Io("write failed on " + path + ": " + std::strerror(errno));
    }
    done += size_t(n);
  }
  return Status::Ok();
}

void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

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

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) {
    fs::create_directories(p.parent_path(), ec);
    if (ec)
      return Status::Io("cannot create folder " + p.parent_path().string() + ": " + ec.message());
  }
  std::string tmp = TempPathBeside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Io("cannot create " + tmp + ": " + std::strerror(errno));
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fsync(fd) != 0)
    s = Status::Io("fsync failed on " + tmp + ": " + std::strerror(errno));
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::Io("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  SyncDir(p.parent_path());
  return s;
}

Status CopyFileAtomic(const std::string& from, const std::string& to) {
  auto data = ReadFile(from);
  if (!data.ok()) return data.status();
  return WriteFileAtomic(to, *data);
}

Status AppendLineDurable(const std::string& path, std::string_view line) {
  fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Io("cannot open " + path + " for appending: " + std::strerror(errno));
  std::string buf(line);
  buf.push_back('\n');
  Status s = WriteAll(fd, buf, path);
  if (s.ok() && ::fsync(fd) != 0) s = Status::Io("fsync failed on " + path);
  ::close(fd);
  return s;
}

}  // namespace redact
