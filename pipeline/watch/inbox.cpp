// The inbox: files seen arriving (inotify, or a scan), left to settle, and queued once.
#include "pipeline/watch/watcher.h"

namespace redact::daemon {

// Names that are never inputs: hidden files (our .redact/, editors' and sync tools' temps)
// and the usual partial-download suffixes.
bool IgnoredName(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.back() == '~') return true;
  for (const char* suffix : {".part", ".partial", ".crdownload", ".tmp", ".swp"}) {
    size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

bool IgnoredPath(const fs::path& rel) {
  for (const fs::path& part : rel) {
    if (IgnoredName(part.string())) return true;
  }
  return false;
}

// Whether some process has `path` open for writing. A read lease is granted only when nobody
// has: asked for one and let go at once (no writer is ever kept waiting). Where a lease cannot
// be had (a file of another owner without CAP_LEASE, a file system without leases), the
// processes' open files this user may see are searched. A writer whose files cannot be seen
// at all is left to the settle time.
bool OpenForWriting(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  const bool have_stat = ::fstat(fd, &st) == 0;
  if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(fd, F_SETLEASE, F_UNLCK);
    ::close(fd);
    return false;
  }
  const int err = errno;
  ::close(fd);
  if (err == EAGAIN || err == EBUSY) return true;
  if (!have_stat) return false;
  std::error_code ec;
  for (auto p = fs::directory_iterator("/proc", ec); !ec && p != fs::end(p); p.increment(ec)) {
    const std::string pid = p->path().filename().string();
    if (pid.empty() || pid[0] < '0' || pid[0] > '9') continue;
    std::error_code fec;
    for (auto f = fs::directory_iterator(p->path() / "fd", fec); !fec && f != fs::end(f);
         f.increment(fec)) {
      struct stat target {};
      if (::stat(f->path().c_str(), &target) != 0 || target.st_dev != st.st_dev ||
          target.st_ino != st.st_ino) {
        continue;
      }
      std::ifstream info(p->path() / "fdinfo" / f->path().filename());
      for (std::string line; std::getline(info, line);) {
        if (line.rfind("flags:", 0) == 0) {
          const long flags = std::strtol(line.c_str() + 6, nullptr, 8);
          if (flags & (O_WRONLY | O_RDWR)) return true;
        }
      }
    }
  }
  return false;
}

void Watcher::AddWatchTree(const fs::path& rel) {
  if (inotify_fd_ < 0) return;
  fs::path dir = inbox_ / rel;
  const uint32_t mask = IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN | IN_MOVED_TO | IN_CREATE |
                        IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW;
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), mask);
  if (wd < 0) {
    log_.Write("warning", "watch", rel.string(),
               std::string("cannot watch this folder (") + std::strerror(errno) +
                   "); it is still scanned every few seconds");
    return;
  }
  watches_[wd] = rel;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (IgnoredName(it->path().filename().string())) continue;
    if (it->is_directory(ec) && !it->is_symlink(ec)) AddWatchTree(rel / it->path().filename());
  }
}

void Watcher::DrainEvents() {
  if (inotify_fd_ < 0) return;
  alignas(struct inotify_event) char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: nothing more for now
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        open_handles_.clear();  // events were lost: the settle time decides again
        ScanTree({}, false);
        continue;
      }
      if (ev->mask & IN_IGNORED) {
        watches_.erase(ev->wd);
        continue;
      }
      auto w = watches_.find(ev->wd);
      if (w == watches_.end() || ev->len == 0) continue;
      std::string name = ev->name;
      if (IgnoredName(name)) continue;
      fs::path rel = w->second / name;
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          AddWatchTree(rel);
          ScanTree(rel, (ev->mask & IN_MOVED_TO) != 0);
        }
        continue;
      }
      if (ev->mask & IN_OPEN) ++open_handles_[rel];
      if (ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) {
        auto h = open_handles_.find(rel);
        if (h != open_handles_.end() && --h->second <= 0) open_handles_.erase(h);
      }
      Note(rel, (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0);
    }
  }
}

// Notes every file under inbox/rel (the whole inbox when rel is empty).
void Watcher::ScanTree(const fs::path& rel, bool closed) {
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(inbox_ / rel,
                                             fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::end(it); it.increment(ec)) {
    const fs::path& p = it->path();
    if (IgnoredName(p.filename().string())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    fs::path r = p.lexically_relative(inbox_);
    if (it->is_symlink(ec)) {
      if (reported_links_.insert(r.string()).second) {
        log_.Write("warning", "skipped", r.string(),
                   "symbolic link, not followed (copy the file itself into the inbox)");
      }
      continue;
    }
    if (it->is_regular_file(ec)) Note(r, closed);
  }
}

void Watcher::Note(const fs::path& rel, bool closed) {
  if (IgnoredPath(rel)) return;
  struct stat st {};
  if (::lstat((inbox_ / rel).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    candidates_.erase(rel);
    open_handles_.erase(rel);
    return;
  }
  const int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  auto [it, inserted] = candidates_.try_emplace(rel);
  Candidate& c = it->second;
  if (inserted || c.size != uintmax_t(st.st_size) || c.mtime_ns != mtime) {
    if (inserted) status_dirty_ = true;
    c.size = uintmax_t(st.st_size);
    c.mtime_ns = mtime;
    c.changed = Clock::now();
    c.closed = closed;
  } else if (closed) {
    c.closed = true;
  }
}

void Watcher::ClaimReady() {
  const auto now = Clock::now();
  const auto settle = std::chrono::milliseconds(int64_t(config_.settle_seconds * 1000));
  std::vector<fs::path> ready;
  // Picks up changes inotify did not report (or cannot, e.g. on NFS). Note may drop a
  // candidate whose file went away, so it walks a copy of the names.
  std::vector<fs::path> names;
  for (const auto& entry : candidates_) names.push_back(entry.first);
  for (const fs::path& rel : names) Note(rel, false);
  for (auto& [rel, c] : candidates_) {
    if (open_handles_.count(rel)) continue;  // someone still has it open: wait for the close
    if (now - c.changed < (c.closed ? std::chrono::milliseconds(kClosedQuiet) : settle)) continue;
    // Settled by time alone (its writer opened it before this daemon saw it: a restart, NFS),
    // or closed and quiet: still not taken while anyone has it open for writing.
    if (OpenForWriting(inbox_ / rel)) {
      c.changed = now;
      continue;
    }
    ready.push_back(rel);
  }
  std::vector<std::string> due;  // documents the machine refused, whose wait is over
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = retry_at_.begin(); it != retry_at_.end();) {
      if (now < it->second) {
        ++it;
        continue;
      }
      due.push_back(it->first);
      it = retry_at_.erase(it);
    }
  }
  for (const std::string& rel : due) {
    log_.Write("info", "retry", rel, "trying again");
    Enqueue(rel, false);
  }
  for (const fs::path& rel : ready) {
    if (Stopping()) break;
    fs::path to = work_ / rel;
    std::error_code ec;
    if (fs::exists(to, ec)) continue;  // the same name is still being processed: wait for it
    fs::create_directories(to.parent_path(), ec);
    if (::rename((inbox_ / rel).c_str(), to.c_str()) != 0) {
      const int err = errno;
      if (err == ENOENT) {
        candidates_.erase(rel);
        claim_refused_.erase(rel);
      } else {
        // Said once, in the log and in status.json, not at every settle period: a staff
        // folder made with the default umask (not group-writable) keeps the file out until
        // someone mends it.
        if (claim_refused_.insert(rel).second) {
          const std::string why =
              std::string("cannot move it into the work folder: ") + std::strerror(err) +
              (err == EACCES || err == EPERM
                   ? " - its folder " + (inbox_ / rel).parent_path().string() +
                         " must be writable by the daemon's group (a folder made with the "
                         "default umask is not): chmod g+w it, or make folders with mkdir -m "
                         "2770"
                   : " (check the daemon may write in the inbox)");
          log_.Write("error", "claim", rel.string(), why);
          std::lock_guard<std::mutex> lock(mu_);
          last_error_ = {
              {"input", rel.string()}, {"stage", "claim"}, {"error", why}, {"time", clock_.Now()}};
          status_dirty_ = true;
        }
        candidates_[rel].changed = now;  // try again after another settle period
      }
      continue;
    }
    claim_refused_.erase(rel);
    run_.env->CrashPoint("claimed");
    candidates_.erase(rel);
    open_handles_.erase(rel);
    status_dirty_ = true;
    log_.Write("info", "queued", rel.string(), "");
    Enqueue(rel.string(), false);
  }
  if (waiting_.exchange(candidates_.size()) != candidates_.size()) status_dirty_ = true;
}

void Watcher::Enqueue(const std::string& rel, bool front) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queued_.insert(rel).second) return;
    if (front) {
      queue_.push_front(rel);
    } else {
      queue_.push_back(rel);
    }
    status_dirty_ = true;
  }
  cv_.notify_one();
}

}  // namespace redact::daemon
