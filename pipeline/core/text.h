#pragma once
// Small UTF-8 helpers shared by the stages.

#include <string>
#include <string_view>
#include <vector>

namespace redact {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

// Splits UTF-8 into code points; invalid bytes become U+FFFD.
std::vector<char32_t> DecodeUtf8(std::string_view s);
std::string EncodeUtf8(char32_t c);
// Byte length of the UTF-8 sequence starting with `lead` (1 for invalid leads).
size_t Utf8SequenceLength(unsigned char lead);

// `s` with ASCII letters lower-cased.
std::string LowerAscii(std::string_view s);

// Lower-cased (ASCII), runs of white space collapsed to one space, trimmed.
// Used for fingerprints and for comparing literals.
std::string NormalizeForMatch(std::string_view s);

}  // namespace redact
