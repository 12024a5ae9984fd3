#pragma once
// PageStore: every page's text between extraction and rendering. Detection reads each page
// twice (rules, then the literals redacted elsewhere) and rendering once more, but no stage
// needs two pages at a time, so with a SpillFile the pages wait on disk and memory does not
// grow with the length of a document. Without one they stay in memory (small inputs, tests).
// Put, Get and Drop are thread-safe; each index is written once.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/core/spill_file.h"
#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

// The flat form of a page (for SpillFile), and back. Parse fails on bytes Serialize did not make.
std::string SerializePageText(const PageText& page);
Result<PageText> ParsePageText(std::string_view bytes);

class PageStore {
 public:
  // `spill` (may be null) must outlive the store.
  PageStore(size_t count, SpillFile* spill);
  // In memory: the pages as they are.
  explicit PageStore(std::vector<PageText> pages);

  size_t size() const { return slots_.size(); }
  Status Put(size_t index, PageText page);
  Result<std::shared_ptr<const PageText>> Get(size_t index) const;
  // Forgets a page no later stage needs (its bytes stay in the spill file until it closes).
  void Drop(size_t index);

 private:
  struct Slot {
    std::shared_ptr<const PageText> page;  // in memory
    SpillFile::Ref ref;                    // or on disk
    bool spilled = false;
  };
  SpillFile* spill_ = nullptr;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
};

}  // namespace redact
