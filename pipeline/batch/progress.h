#pragma once
// A one-line progress display on stderr: documents done/total, pages/s, ETA, and within the
// documents in progress the page each has reached (a 1,000-page PDF is one document for
// minutes). Silent unless stderr is a terminal. Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace redact {

class Progress {
 public:
  Progress(size_t total, bool enabled);
  ~Progress();
  void DocumentDone(int pages, bool failed);
  // Documents found on the way (a message's attachments) join the total.
  void AddDocuments(size_t n);
  // A document in progress: pages read (OCR included) and rendered, of `total`.
  void Pages(const std::string& name, int read, int rendered, int total);
  // The document is done (its pages counted by DocumentDone).
  void Forget(const std::string& name);
  // A line of its own (-v): above the progress line on a terminal, else as it is.
  void Print(const std::string& line);
  // Clears the line so a summary can follow.
  void Finish();

 private:
  void Draw(bool force);
  std::mutex mu_;
  size_t total_;
  bool enabled_;
  size_t done_ = 0, failed_ = 0;
  long pages_ = 0;
  struct InFlight {
    int read = 0, rendered = 0, total = 0;
  };
  std::map<std::string, InFlight> in_flight_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace redact
