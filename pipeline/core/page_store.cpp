#include "pipeline/core/page_store.h"

#include "pipeline/core/bytes.h"

namespace redact {

namespace {
constexpr uint32_t kPageMagic = 0x50545832;  // "PTX2"
}  // namespace

std::string SerializePageText(const PageText& page) {
  ByteWriter w;
  w.Put(kPageMagic);
  w.Put(int32_t(page.page));
  w.Put(page.width);
  w.Put(page.height);
  w.PutString(page.text);
  w.PutVector(page.byte_map);
  w.PutVector(page.joins);
  w.PutString(page.source_text);
  w.PutVector(page.source_map);
  w.Put(uint64_t(page.words.size()));
  for (const Word& word : page.words) {
    w.PutString(word.text);
    w.Put(word.box);
    w.PutVector(word.char_boxes);
    w.Put(word.confidence);
    w.Put(word.source);
    w.Put(word.hidden);
  }
  return w.Take();
}

Result<PageText> ParsePageText(std::string_view bytes) {
  ByteReader r(bytes);
  PageText page;
  uint32_t magic = 0;
  int32_t number = 0;
  uint64_t words = 0;
  bool ok = r.Get(&magic) && magic == kPageMagic && r.Get(&number) && r.Get(&page.width) &&
            r.Get(&page.height) && r.GetString(&page.text) && r.GetVector(&page.byte_map) &&
            r.GetVector(&page.joins) && r.GetString(&page.source_text) &&
            r.GetVector(&page.source_map) && r.Get(&words) && words <= bytes.size();
  page.page = number;
  if (ok) page.words.resize(size_t(words));
  for (size_t i = 0; ok && i < page.words.size(); ++i) {
    Word& word = page.words[i];
    ok = r.GetString(&word.text) && r.Get(&word.box) && r.GetVector(&word.char_boxes) &&
         r.Get(&word.confidence) && r.Get(&word.source) && r.Get(&word.hidden);
  }
  if (!ok || !r.done()) return Status::Engine("a page's text did not read back from disk intact");
  return page;
}

PageStore::PageStore(size_t count, SpillFile* spill) : spill_(spill), slots_(count) {}

PageStore::PageStore(std::vector<PageText> pages) : slots_(pages.size()) {
  for (size_t i = 0; i < pages.size(); ++i) {
    slots_[i].page = std::make_shared<const PageText>(std::move(pages[i]));
  }
}

Status PageStore::Put(size_t index, PageText page) {
  if (index >= slots_.size()) return Status::Engine("page index out of range");
  if (spill_ == nullptr) {
    auto shared = std::make_shared<const PageText>(std::move(page));
    std::lock_guard<std::mutex> lock(mu_);
    slots_[index].page = std::move(shared);
    return Status::Ok();
  }
  auto ref = spill_->Append(SerializePageText(page));
  if (!ref.ok()) return ref.status();
  std::lock_guard<std::mutex> lock(mu_);
  slots_[index].ref = *ref;
  slots_[index].spilled = true;
  return Status::Ok();
}

Result<std::shared_ptr<const PageText>> PageStore::Get(size_t index) const {
  Slot slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (index >= slots_.size()) return Status::Engine("page index out of range");
    slot = slots_[index];
  }
  if (!slot.spilled) {
    if (!slot.page) return Status::Engine("page " + std::to_string(index + 1) + " is not stored");
    return slot.page;
  }
  auto bytes = spill_->Read(slot.ref);
  if (!bytes.ok()) return bytes.status();
  auto page = ParsePageText(*bytes);
  if (!page.ok()) return page.status();
  return std::shared_ptr<const PageText>(std::make_shared<const PageText>(std::move(*page)));
}

void PageStore::Drop(size_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index < slots_.size()) slots_[index] = Slot();
}

}  // namespace redact
