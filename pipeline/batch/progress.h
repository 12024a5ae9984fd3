#pragma once
// A one-line progress display on stderr: documents done/total, pages/s, ETA.
// Silent unless stderr is a terminal. Thread-safe.

#include <chrono>
#include <mutex>

namespace redact {

class Progress {
 public:
  Progress(size_t total, bool enabled);
  ~Progress();
  void DocumentDone(int pages, bool failed);
  // Documents found on the way (a message's attachments) join the total.
  void AddDocuments(size_t n);
  // Clears the line so a summary can follow.
  void Finish();

 private:
  void Draw(bool force);
  std::mutex mu_;
  size_t total_;
  bool enabled_;
  size_t done_ = 0, failed_ = 0;
  long pages_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace redact
