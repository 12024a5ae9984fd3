#include "pipeline/core/tar.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace redact {
namespace {

constexpr size_t kBlock = 512;

// `value` in octal, `width - 1` digits and a NUL, into `field`.
void Octal(char* field, size_t width, unsigned long long value) {
  std::snprintf(field, width, "%0*llo", int(width - 1), value);
}

// The header's checksum: the sum of its bytes, the checksum field counted as spaces.
unsigned Checksum(const char* header) {
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? unsigned(' ') : unsigned(uint8_t(header[i]));
  }
  return sum;
}

// An octal field, or nothing when it holds anything else.
std::optional<unsigned long long> ReadOctal(const char* field, size_t width) {
  unsigned long long v = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i, any = true) {
    v = v * 8 + unsigned(field[i] - '0');
  }
  for (; i < width; ++i) {
    if (field[i] != '\0' && field[i] != ' ') return std::nullopt;
  }
  if (!any) return std::nullopt;
  return v;
}

}  // namespace

std::string TarArchive(const std::vector<std::pair<std::string, std::string>>& files) {
  size_t size = 2 * kBlock;
  for (const auto& [name, data] : files)
    size += kBlock + (data.size() + kBlock - 1) / kBlock * kBlock;
  std::string out;
  out.reserve(size);
  for (const auto& [name, data] : files) {
    char header[kBlock] = {};
    std::memcpy(header, name.data(), std::min<size_t>(name.size(), 99));
    Octal(header + 100, 8, 0644);  // mode
    Octal(header + 108, 8, 0);     // uid
    Octal(header + 116, 8, 0);     // gid
    Octal(header + 124, 12, data.size());
    Octal(header + 136, 12, 0);  // mtime
    header[156] = '0';           // a regular file
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    std::snprintf(header + 148, 8, "%06o", Checksum(header));
    header[155] = ' ';
    out.append(header, kBlock);
    out.append(data);
    out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');
  return out;
}

std::optional<std::string_view> TarMember(std::string_view archive, std::string_view name) {
  for (size_t at = 0; at + kBlock <= archive.size();) {
    const char* header = archive.data() + at;
    if (header[0] == '\0') return std::nullopt;  // the end
    const auto sum = ReadOctal(header + 148, 8);
    const auto size = ReadOctal(header + 124, 12);
    if (!sum || !size || *sum != Checksum(header)) return std::nullopt;
    const size_t data = at + kBlock;
    if (*size > archive.size() - data) return std::nullopt;
    const std::string_view member(header, strnlen(header, 100));
    if (member == name && (header[156] == '0' || header[156] == '\0')) {
      return archive.substr(data, size_t(*size));
    }
    at = data + (size_t(*size) + kBlock - 1) / kBlock * kBlock;
  }
  return std::nullopt;
}

}  // namespace redact
