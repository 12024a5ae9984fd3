#include "pipeline/core/spill_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace redact {

Result<std::unique_ptr<SpillFile>> SpillFile::Create(const std::string& dir) {
  // O_TMPFILE makes a file that never has a name; where the file system lacks it, a named
  // file is unlinked at once.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string tmpl = dir + "/.redact-spill-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.data());
  }
  if (fd < 0) {
    return Status::Io("cannot make a temporary file in " + dir + ": " + std::strerror(errno),
                      "Check that the output folder is writable and has free space.");
  }
  return std::unique_ptr<SpillFile>(new SpillFile(fd));
}

SpillFile::~SpillFile() { ::close(fd_); }

uint64_t SpillFile::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

Result<SpillFile::Ref> SpillFile::Append(std::string_view bytes) {
  Ref ref;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ref.offset = end_;
    end_ += bytes.size();
  }
  ref.size = bytes.size();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, off_t(ref.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::Io(std::string("cannot write a temporary file: ") + std::strerror(errno),
                        "Free space on the disk that holds the output folder.");
    }
    done += size_t(n);
  }
  return ref;
}

Result<std::string> SpillFile::Read(Ref ref) const {
  std::string out(ref.size, '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(ref.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::Io(std::string("cannot read back a temporary file: ") +
                        (n < 0 ? std::strerror(errno) : "it is shorter than was written"));
    }
    done += size_t(n);
  }
  return out;
}

}  // namespace redact
