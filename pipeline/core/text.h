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
// `s` with each byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string ValidUtf8(std::string_view s);
std::string EncodeUtf8(char32_t c);
// Byte length of the UTF-8 sequence starting with `lead` (1 for invalid leads).
size_t Utf8SequenceLength(unsigned char lead);

// `s` with ASCII letters lower-cased.
std::string LowerAscii(std::string_view s);

// `s` case-folded a code point at a time by Unicode's simple case folding ("SIÂN" -> "siân",
// "ŁUKASZ" -> "łukasz", "ΣΟΦΙΑ" -> "σοφια"); the same length in bytes (the rare letter whose
// folded form is encoded shorter or longer, like the Kelvin sign, is left as it is: NFKC has
// already read it as "K" in text that went through NormalizeText). Defined in normalize.cpp,
// which holds the project's use of ICU.
std::string FoldCase(std::string_view s);

// Case-folded (FoldCase), runs of white space collapsed to one space, trimmed.
// Used for fingerprints and for comparing literals.
std::string NormalizeForMatch(std::string_view s);

// Whether `s` is only ASCII punctuation and spaces (a lone dash, a stop): it says nothing, so
// it is never taken for hidden text.
bool PunctuationOnly(std::string_view s);

}  // namespace redact
