#include "pipeline/core/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "pipeline/core/text.h"

namespace redact {
namespace {

// One character on its way through the steps, with the source it came from (bytes of a text,
// or characters of a word).
struct Unit {
  char32_t cp;
  uint32_t begin, end;
};

constexpr char32_t kRightToLeftOverride = 0x202E;
constexpr char32_t kPopDirectionalFormatting = 0x202C;
constexpr char32_t kSoftHyphen = 0xAD;

const icu::Normalizer2& Nfkc() {
  static const icu::Normalizer2* nfkc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    // ICU's own data is linked into the library: failing here means a broken installation.
    if (U_FAILURE(status) || n == nullptr) std::abort();
    return n;
  }();
  return *nfkc;
}

// The ASCII letter or digit a letter or digit outside ASCII looks like, by its confusable
// skeleton (TR39): Cyrillic С -> 'C', Greek Ν -> 'N', Cyrillic З -> '3'; 0 if none. Asked of
// ICU once per character and remembered (a table of every character would cost a document
// worker a fifth of a second to build).
char LookAlike(char32_t c) {
  static std::mutex mu;
  static std::unordered_map<char32_t, char> known;
  static USpoofChecker* checker = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  auto k = known.find(c);
  if (k != known.end()) return k->second;
  char found = 0;
  // Letters of the Latin script are themselves ("ı" in "Yıldız" is no disguise of "i").
  UErrorCode script_status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(UChar32(c), &script_status);
  if (u_isalnum(UChar32(c)) && U_SUCCESS(script_status) && script != USCRIPT_LATIN) {
    UErrorCode status = U_ZERO_ERROR;
    if (checker == nullptr) checker = uspoof_open(&status);
    if (U_FAILURE(status) || checker == nullptr) std::abort();  // ICU's data is in the library
    const std::string in = EncodeUtf8(c);
    char out[16];
    status = U_ZERO_ERROR;
    const int32_t n = uspoof_getSkeletonUTF8(checker, 0, in.data(), int32_t(in.size()), out,
                                             int32_t(sizeof out), &status);
    const unsigned char a = static_cast<unsigned char>(out[0]);
    if (U_SUCCESS(status) && n == 1 &&
        ((a >= '0' && a <= '9') || (a >= 'A' && a <= 'Z') || (a >= 'a' && a <= 'z'))) {
      found = char(a);
    }
  }
  known.emplace(c, found);
  return found;
}

bool IsAsciiAlnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool IsMark(char32_t c) { return (U_GET_GC_MASK(UChar32(c)) & U_GC_M_MASK) != 0; }

bool IsWordChar(char32_t c) {
  return IsAsciiAlnum(c) || (c >= 0x80 && (u_isalnum(UChar32(c)) || IsMark(c)));
}

// A run forced right to left is shown last character first: read it so.
void ReadOverridesInDisplayOrder(std::vector<Unit>* units) {
  for (size_t i = 0; i < units->size(); ++i) {
    if ((*units)[i].cp != kRightToLeftOverride) continue;
    size_t end = i + 1;
    while (end < units->size() && (*units)[end].cp != kPopDirectionalFormatting &&
           (*units)[end].cp != '\n') {
      ++end;
    }
    std::reverse(units->begin() + long(i) + 1, units->begin() + long(end));
    i = end;
  }
}

// Invisible characters out, every space a space.
void DropInvisibleAndUnifySpaces(std::vector<Unit>* units) {
  std::vector<Unit> out;
  out.reserve(units->size());
  for (Unit u : *units) {
    if (u.cp < 0x80) {
      out.push_back(u);
      continue;
    }
    if (u_hasBinaryProperty(UChar32(u.cp), UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) continue;
    if (u.cp == 0x2028 || u.cp == 0x2029 || u.cp == 0x85) {
      u.cp = '\n';
    } else if (u.cp == 0x2010 || u.cp == 0x2011) {
      u.cp = '-';  // a hyphen, or a no-break one, joins the words of a name as '-' does
    } else if (u_charType(UChar32(u.cp)) == U_SPACE_SEPARATOR) {
      u.cp = ' ';
    }
    out.push_back(u);
  }
  units->swap(out);
}

// NFKC, a segment at a time (a character and the marks that belong to it): every character
// that comes out of a segment maps to the whole of its source.
void CompatibilityForms(std::vector<Unit>* units) {
  const icu::Normalizer2& nfkc = Nfkc();
  std::vector<Unit> out;
  out.reserve(units->size());
  for (size_t i = 0; i < units->size();) {
    size_t end = i + 1;
    while (end < units->size() && !nfkc.hasBoundaryBefore(UChar32((*units)[end].cp))) ++end;
    bool inert = true;
    for (size_t k = i; k < end && inert; ++k) {
      inert = (*units)[k].cp < 0x80 || nfkc.isInert(UChar32((*units)[k].cp));
    }
    if (inert) {
      out.insert(out.end(), units->begin() + long(i), units->begin() + long(end));
      i = end;
      continue;
    }
    icu::UnicodeString segment;
    uint32_t begin = (*units)[i].begin, last = (*units)[i].end;
    for (size_t k = i; k < end; ++k) {
      segment.append(UChar32((*units)[k].cp));
      begin = std::min(begin, (*units)[k].begin);
      last = std::max(last, (*units)[k].end);
    }
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString normal = nfkc.normalize(segment, status);
    const icu::UnicodeString& use = U_SUCCESS(status) ? normal : segment;
    for (int32_t k = 0; k < use.length();) {
      const UChar32 c = use.char32At(k);
      out.push_back({char32_t(c), begin, last});
      k += U16_LENGTH(c);
    }
    i = end;
  }
  units->swap(out);
}

// Look-alike letters of another script read as the Latin letter, in a word that has Latin
// letters or digits, or whose letters all look Latin.
void FoldLookAlikes(std::vector<Unit>* units) {
  for (size_t i = 0; i < units->size();) {
    if (!IsWordChar((*units)[i].cp)) {
      ++i;
      continue;
    }
    size_t end = i;
    bool ascii = false, foreign = false, any = false;
    for (; end < units->size() && IsWordChar((*units)[end].cp); ++end) {
      const char32_t c = (*units)[end].cp;
      if (IsAsciiAlnum(c)) {
        ascii = true;
      } else if (IsMark(c)) {
        continue;
      } else if (LookAlike(c) != 0) {
        any = true;
      } else {
        foreign = true;
      }
    }
    if (any && (ascii || !foreign)) {
      for (size_t k = i; k < end; ++k) {
        if (const char a = (*units)[k].cp >= 0x80 ? LookAlike((*units)[k].cp) : 0) {
          (*units)[k].cp = char32_t(a);
        }
      }
    }
    i = end;
  }
}

// "N C S C": three or more one-character words, one space apart, read as one word.
void JoinLetterSpacedWords(std::vector<Unit>* units) {
  const auto single = [&](size_t k) {
    const auto& u = *units;
    return k < u.size() && IsWordChar(u[k].cp) && !IsMark(u[k].cp) &&
           (k == 0 || !IsWordChar(u[k - 1].cp)) && (k + 1 == u.size() || !IsWordChar(u[k + 1].cp));
  };
  std::vector<bool> drop(units->size(), false);
  for (size_t i = 0; i < units->size(); ++i) {
    if (!single(i)) continue;
    size_t k = i, count = 1;
    while (k + 2 < units->size() && (*units)[k + 1].cp == ' ' && single(k + 2)) {
      k += 2;
      ++count;
    }
    if (count >= 3) {
      for (size_t s = i + 1; s < k; s += 2) drop[s] = true;
    }
    i = k;
  }
  std::vector<Unit> out;
  out.reserve(units->size());
  for (size_t i = 0; i < units->size(); ++i) {
    if (!drop[i]) out.push_back((*units)[i]);
  }
  units->swap(out);
}

std::vector<Unit> DecodeUnits(std::string_view s) {
  std::vector<Unit> units;
  units.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
    const std::vector<char32_t> cps = DecodeUtf8(s.substr(i, len));
    const char32_t cp = cps.size() == 1 ? cps[0] : char32_t(0xFFFD);
    units.push_back({cp, uint32_t(i), uint32_t(i + (cps.size() == 1 ? len : 1))});
    i += cps.size() == 1 ? len : 1;
  }
  return units;
}

bool AsciiOnly(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

NormalizedText NormalizeText(std::string_view source) {
  NormalizedText n;
  if (AsciiOnly(source)) {
    n.text.assign(source);
    n.source.reserve(source.size());
    for (uint32_t i = 0; i < source.size(); ++i) n.source.push_back({i, i + 1});
    std::vector<Unit> units = DecodeUnits(source);
    const size_t before = units.size();
    JoinLetterSpacedWords(&units);
    if (units.size() == before) return n;
    n.text.clear();
    n.source.clear();
    for (const Unit& u : units) {
      n.text.push_back(char(u.cp));
      n.source.push_back({u.begin, u.end});
    }
    return n;
  }
  std::vector<Unit> units = DecodeUnits(source);
  ReadOverridesInDisplayOrder(&units);
  DropInvisibleAndUnifySpaces(&units);
  CompatibilityForms(&units);
  FoldLookAlikes(&units);
  JoinLetterSpacedWords(&units);
  n.text.reserve(source.size());
  n.source.reserve(source.size());
  for (const Unit& u : units) {
    const std::string bytes = EncodeUtf8(u.cp);
    n.text += bytes;
    n.source.insert(n.source.end(), bytes.size(), SourceRange{u.begin, u.end});
  }
  return n;
}

SourceRange SourceSpan(const NormalizedText& n, size_t begin, size_t end) {
  end = std::min(end, n.source.size());
  if (begin >= end) return {0, 0};
  SourceRange r = n.source[begin];
  for (size_t i = begin + 1; i < end; ++i) {
    r.begin = std::min(r.begin, n.source[i].begin);
    r.end = std::max(r.end, n.source[i].end);
  }
  return r;
}

SourceRange WidenOverInvisible(std::string_view source, SourceRange r) {
  const auto invisible = [](char32_t c) {
    return c >= 0x80 && u_hasBinaryProperty(UChar32(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
  };
  while (r.begin > 0) {
    size_t b = r.begin - 1;
    while (b > 0 && r.begin - b < 4 && (static_cast<unsigned char>(source[b]) & 0xC0) == 0x80) --b;
    const std::vector<char32_t> cps = DecodeUtf8(source.substr(b, r.begin - b));
    if (cps.size() != 1 || !invisible(cps[0])) break;
    r.begin = uint32_t(b);
  }
  while (r.end < source.size()) {
    const size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(source[r.end])),
                                source.size() - r.end);
    const std::vector<char32_t> cps = DecodeUtf8(source.substr(r.end, len));
    if (cps.size() != 1 || !invisible(cps[0])) break;
    r.end = uint32_t(r.end + len);
  }
  return r;
}

bool NormalizeWord(Word* word) {
  if (AsciiOnly(word->text)) return !word->text.empty();
  // Units over characters (begin, end index char_boxes).
  const std::vector<char32_t> cps = DecodeUtf8(word->text);
  std::vector<Unit> units;
  units.reserve(cps.size());
  for (uint32_t i = 0; i < cps.size(); ++i) units.push_back({cps[i], i, i + 1});
  if (!units.empty() && units.back().cp == kSoftHyphen) units.back().cp = '-';
  DropInvisibleAndUnifySpaces(&units);
  CompatibilityForms(&units);
  FoldLookAlikes(&units);
  const std::vector<Box>& old = word->char_boxes;
  const auto box_of = [&](uint32_t b, uint32_t e) {
    Box box;
    for (uint32_t i = b; i < e && i < old.size(); ++i) box = box.United(old[i]);
    if (box.empty() && old.empty()) box = word->box;
    return box;
  };
  std::string text;
  std::vector<Box> boxes;
  for (size_t i = 0; i < units.size();) {
    // Characters made from the same source share it: a slice each, left to right.
    size_t end = i + 1;
    while (end < units.size() && units[end].begin == units[i].begin &&
           units[end].end == units[i].end) {
      ++end;
    }
    const Box whole = box_of(units[i].begin, units[i].end);
    const double slice = whole.width() / double(end - i);
    for (size_t k = i; k < end; ++k) {
      text += EncodeUtf8(units[k].cp);
      Box b = whole;
      if (end - i > 1) {
        b.x0 = whole.x0 + slice * double(k - i);
        b.x1 = b.x0 + slice;
      }
      boxes.push_back(b);
    }
    i = end;
  }
  word->text = std::move(text);
  if (!old.empty()) word->char_boxes = std::move(boxes);
  return !word->text.empty();
}

bool IsLetter(char32_t c) { return u_isalpha(UChar32(c)) != 0; }
bool IsCapital(char32_t c) { return u_isupper(UChar32(c)) || u_istitle(UChar32(c)); }

std::string FoldCase(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size();) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') out[i] = char(c - 'A' + 'a');
      ++i;
      continue;
    }
    const size_t len = std::min(Utf8SequenceLength(c), out.size() - i);
    const std::vector<char32_t> cps = DecodeUtf8(std::string_view(out).substr(i, len));
    if (cps.size() == 1 && cps[0] != 0xFFFD) {
      const auto folded = static_cast<char32_t>(u_foldCase(UChar32(cps[0]), U_FOLD_CASE_DEFAULT));
      const std::string bytes = EncodeUtf8(folded);
      if (folded != cps[0] && bytes.size() == len) out.replace(i, len, bytes);
    }
    i += len;
  }
  return out;
}

bool IsLetterAt(std::string_view s, size_t i) {
  if (i >= s.size()) return false;
  const size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
  const std::vector<char32_t> cps = DecodeUtf8(s.substr(i, len));
  return cps.size() == 1 && IsLetter(cps[0]);
}

bool IsLetterBefore(std::string_view s, size_t i) {
  if (i == 0 || i > s.size()) return false;
  size_t b = i - 1;
  while (b > 0 && i - b < 4 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  return IsLetterAt(s.substr(0, i), b);
}

}  // namespace redact
