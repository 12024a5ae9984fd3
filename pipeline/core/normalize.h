#pragma once
// Text as the rules read it, made once where a document is read (extract: text layer, OCR,
// Office, e-mail, plain text) so that detection, consistency and the self-check all read the
// same characters, and a disguise that a reader does not see does not hide a string:
//   - characters nobody sees are left out: format characters (zero-width spaces and joiners,
//     direction marks, the byte order mark), soft hyphens, variation selectors (Unicode's
//     Default_Ignorable_Code_Point);
//   - every space (no-break, thin, figure, ideographic...) is a space, and a line or paragraph
//     separator a line break;
//   - compatibility forms take their ordinary form (NFKC: full-width letters, ligatures,
//     mathematical letters, a combining accent composed with its letter);
//   - a letter of another script that looks like a Latin letter or digit (Cyrillic С, Greek Ν,
//     by Unicode's confusables, TR39, through ICU) is read as that letter, inside a word that
//     has Latin letters or digits or is made of such letters alone (a Russian word keeps its
//     letters);
// and, for plain text only, where layout cannot help:
//   - a run forced right to left (U+202E ... U+202C) is read in the order it is shown;
//   - a word spelt with a space between every letter ("N C S C") is read as one word.
// Case is kept: names are found by their capitals.
// Engine: ICU (the only file that includes it is normalize.cpp).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/types.h"

namespace redact {

struct NormalizedText {
  std::string text;
  std::vector<SourceRange> source;  // source.size() == text.size()
};

// Plain text (UTF-8; invalid bytes read as U+FFFD) as the rules read it, with a map from every
// byte back to the source bytes it came from.
NormalizedText NormalizeText(std::string_view source);

// The source bytes that text bytes [begin, end) of `n` came from: the smallest range holding
// them all (a span may come from a reordered run). Returns {0, 0} for an empty span.
SourceRange SourceSpan(const NormalizedText& n, size_t begin, size_t end);

// `r` widened over the invisible characters (those NormalizeText leaves out) right beside it
// in `source`: a cut that takes a string takes the direction overrides and zero-width
// characters around it too, so none is left to act on the marker that replaces it.
SourceRange WidenOverInvisible(std::string_view source, SourceRange r);

// A word of a page as the rules read it: its text normalised as above (without the two plain
// text steps), one character box per character still: a dropped character's box is dropped, a
// character that became several (a ligature) gives each an equal slice of its box, characters
// that became one (a letter and its accent) the union of theirs. A soft hyphen that ends a
// word is shown as a hyphen and read as one ("Commu-" / "nications" is joined as any other).
// Returns false if nothing of the word is left (it held only invisible characters).
bool NormalizeWord(Word* word);

// Whether the character starting at byte `i` of UTF-8 `s` (or, for IsLetterBefore, ending just
// before byte `i`) is a letter of any script.
bool IsLetterAt(std::string_view s, size_t i);
bool IsLetterBefore(std::string_view s, size_t i);
// Whether `c` is a letter of any script, or a capital one.
bool IsLetter(char32_t c);
bool IsCapital(char32_t c);

}  // namespace redact
