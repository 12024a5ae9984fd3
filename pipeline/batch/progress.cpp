#include "pipeline/batch/progress.h"

#include <unistd.h>

#include <cstdio>

namespace redact {

Progress::Progress(size_t total, bool enabled)
    : total_(total),
      enabled_(enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::AddDocuments(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  total_ += n;
}

void Progress::DocumentDone(int pages, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  if (failed) ++failed_;
  pages_ += pages;
  Draw(done_ == total_);
}

void Progress::Draw(bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double pps = secs > 0 ? pages_ / secs : 0;
  double docs_per_sec = secs > 0 ? done_ / secs : 0;
  long eta = docs_per_sec > 0 ? long((total_ - done_) / docs_per_sec) : 0;
  std::fprintf(stderr, "\r\033[K%zu/%zu documents (%zu%%), %.1f pages/s, ETA %ld:%02ld%s", done_,
               total_, total_ ? done_ * 100 / total_ : 100, pps, eta / 60, eta % 60,
               failed_ ? (", " + std::to_string(failed_) + " quarantined").c_str() : "");
  std::fflush(stderr);
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  enabled_ = false;
}

}  // namespace redact
