#pragma once
// ByteWriter / ByteReader: a flat binary form for data that one process writes and reads back
// itself (nothing else ever reads it), so plain values are copied as they lie in memory.
// The reader checks every length against what is left and fails rather than read past it.

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace redact {

class ByteWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void PutString(std::string_view s) {
    Put(uint64_t(s.size()));
    out_.append(s);
  }
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put(uint64_t(v.size()));
    if (!v.empty()) out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool GetString(std::string* s) {
    uint64_t n = 0;
    if (!Get(&n) || n > in_.size()) return false;
    s->assign(in_.data(), size_t(n));
    in_.remove_prefix(size_t(n));
    return true;
  }
  template <typename T>
  bool GetVector(std::vector<T>* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint64_t n = 0;
    if (!Get(&n) || n > in_.size() / sizeof(T)) return false;
    v->resize(size_t(n));
    if (n > 0) std::memcpy(v->data(), in_.data(), size_t(n) * sizeof(T));
    in_.remove_prefix(size_t(n) * sizeof(T));
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace redact
