#include "pipeline/batch/page_scheduler.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace redact {

Status ForEachPage(const Source& source, const ReaderOptions& options, DocumentReader* first, int n,
                   int threads, const std::function<Status(DocumentReader*, int)>& fn) {
  threads = std::max(1, std::min(threads, n));
  std::vector<Status> errors(size_t(n) + 1);
  std::atomic<int> next{1};
  auto work = [&](DocumentReader* reader) {
    for (int p = next++; p <= n; p = next++) errors[size_t(p)] = fn(reader, p);
  };
  std::vector<std::unique_ptr<DocumentReader>> readers;
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    auto reader = DocumentReader::Open(source, options);
    if (!reader.ok()) break;  // fewer threads; the work still gets done
    readers.push_back(std::move(*reader));
    pool.emplace_back(work, readers.back().get());
  }
  work(first);
  for (std::thread& t : pool) t.join();
  for (int p = 1; p <= n; ++p) {
    if (!errors[size_t(p)].ok()) return errors[size_t(p)];
  }
  return Status::Ok();
}

}  // namespace redact
