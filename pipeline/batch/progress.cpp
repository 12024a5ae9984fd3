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

void Progress::Pages(const std::string& name, int read, int rendered, int total) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_[name] = {read, rendered, total};
  Draw(read == total && rendered == 0);  // the end of reading is always shown
}

void Progress::Forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(name);
}

void Progress::Draw(bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  // Work in half pages: a page is read (the slow half with OCR) and then rendered.
  long halves_done = 2 * pages_, halves_left = 0, pages_now = pages_;
  for (const auto& [name, f] : in_flight_) {
    halves_done += f.read + f.rendered;
    halves_left += 2L * f.total - f.read - f.rendered;
    pages_now += f.rendered;
  }
  const double pps = secs > 0 ? pages_now / secs : 0;
  const size_t waiting = total_ - done_ - std::min(total_ - done_, in_flight_.size());
  long eta = 0;
  if (waiting > 0) {
    const double docs_per_sec = secs > 0 ? done_ / secs : 0;
    eta = docs_per_sec > 0 ? long((total_ - done_) / docs_per_sec) : 0;
  } else if (halves_done > 0) {
    eta = long(halves_left * secs / double(halves_done));
  }
  std::string pages;
  int shown = 0;
  for (const auto& [name, f] : in_flight_) {
    if (f.total <= 1 || shown++ >= 2) continue;
    const bool reading = f.rendered == 0;
    pages += ", " + name + ": page " + std::to_string(reading ? f.read : f.rendered) + " of " +
             std::to_string(f.total) + (reading ? " read" : " rendered");
  }
  std::fprintf(stderr, "\r\033[K%zu/%zu documents (%zu%%)%s, %.1f pages/s, ETA %ld:%02ld%s", done_,
               total_, total_ ? done_ * 100 / total_ : 100, pages.c_str(), pps, eta / 60, eta % 60,
               failed_ ? (", " + std::to_string(failed_) + " quarantined").c_str() : "");
  std::fflush(stderr);
}

void Progress::Print(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stderr, "%s%s\n", enabled_ ? "\r\033[K" : "", line.c_str());
  if (enabled_) Draw(true);
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
