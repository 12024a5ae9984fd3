#include "pipeline/extract/encoded_text.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"

namespace redact {
namespace {

// Below this many decoded bytes a binary base64 run (a key, a token) is left as the reader
// sees it; above it, it is an attachment.
constexpr size_t kAttachmentBytes = 256;
// A bare base64 run (no MIME header) must be at least this long to be taken for one.
constexpr size_t kBareBase64Chars = 100;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Lines with their endings, so that text we do not touch comes out byte for byte.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::string_view Content(std::string_view line) {  // without its line ending
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

bool IsBlank(std::string_view line) { return Trim(line).empty(); }

// A MIME boundary line: "--" and a token, no spaces.
bool IsBoundary(std::string_view line) {
  std::string_view c = Trim(line);
  return c.size() >= 3 && c.substr(0, 2) == "--" && c.find(' ') == std::string_view::npos;
}

bool IsBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
}

bool IsBase64Line(std::string_view line, size_t min_len) {
  std::string_view c = Content(line);
  if (c.size() < min_len) return false;
  size_t pad = 0;
  for (char ch : c) {
    if (!IsBase64Char(ch)) return false;
    if (ch == '=') {
      ++pad;
    } else if (pad > 0) {
      return false;  // '=' only at the end
    }
  }
  return pad <= 2;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string DecodeQuotedPrintable(std::string_view body, bool underscore_is_space = false) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '=' && i + 1 < body.size()) {
      if (body[i + 1] == '\n') {  // soft line break
        ++i;
        continue;
      }
      if (body[i + 1] == '\r' && i + 2 < body.size() && body[i + 2] == '\n') {
        i += 2;
        continue;
      }
      int hi = i + 2 < body.size() ? HexValue(body[i + 1]) : -1;
      int lo = i + 2 < body.size() ? HexValue(body[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(char(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(underscore_is_space && c == '_' ? ' ' : c);
  }
  return out;
}

// uuencoded lines: a length character, then four characters for every three bytes.
std::string DecodeUuLines(const std::vector<std::string_view>& lines) {
  std::string out;
  for (std::string_view line : lines) {
    std::string_view c = Content(line);
    if (c.empty()) continue;
    int n = (c[0] - ' ') & 0x3F;
    size_t i = 1;
    while (n > 0 && i < c.size()) {
      auto v = [&](size_t k) { return k < c.size() ? ((c[k] - ' ') & 0x3F) : 0; };
      int a = v(i), b = v(i + 1), d = v(i + 2), e = v(i + 3);
      const char bytes[3] = {char(a << 2 | b >> 4), char(b << 4 | d >> 2), char(d << 6 | e)};
      for (int k = 0; k < 3 && n > 0; ++k, --n) out.push_back(bytes[k]);
      i += 4;
    }
  }
  return out;
}

// Bytes in `charset` as UTF-8; Latin-1 where the charset is unknown or the bytes do not fit it.
std::string ToUtf8(const std::string& bytes, std::string charset) {
  charset = Lower(Trim(charset));
  if (charset.empty() || charset == "us-ascii" || charset == "utf-8" || charset == "utf8") {
    if (IsValidUtf8(bytes)) return bytes;
    charset = "windows-1252";
  }
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd != iconv_t(-1)) {
    std::string out(bytes.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(bytes.data());
    size_t in_left = bytes.size(), out_left = out.size();
    char* o = out.data();
    size_t r = iconv(cd, &in, &in_left, &o, &out_left);
    iconv_close(cd);
    if (r != size_t(-1) && in_left == 0) {
      out.resize(out.size() - out_left);
      if (IsValidUtf8(out)) return out;
    }
  }
  std::string out;
  for (unsigned char c : bytes) out += EncodeUtf8(char32_t(c));
  return out;
}

// Decoded bytes that read as text: valid UTF-8 (or convertible), mostly printable.
bool LooksLikeText(const std::string& bytes) {
  if (bytes.empty()) return true;
  size_t control = 0;
  for (unsigned char c : bytes) {
    if (c == 0) return false;
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++control;
  }
  return control * 50 < bytes.size();
}

// The value of `param` in a header's parameters: charset=..., name="...".
std::string Param(std::string_view header, std::string_view param) {
  std::string lower = Lower(header);
  size_t at = 0;
  while ((at = lower.find(std::string(param) + "=", at)) != std::string::npos) {
    if (at > 0 &&
        (std::isalnum(static_cast<unsigned char>(lower[at - 1])) || lower[at - 1] == '-')) {
      ++at;
      continue;
    }
    size_t v = at + param.size() + 1;
    std::string value;
    if (v < header.size() && header[v] == '"') {
      size_t end = header.find('"', v + 1);
      value = std::string(header.substr(v + 1, end == std::string_view::npos ? end : end - v - 1));
    } else {
      size_t end = header.find_first_of("; \t\r\n", v);
      value = std::string(header.substr(v, end == std::string_view::npos ? end : end - v));
    }
    return value;
  }
  return {};
}

// One MIME part's header block: lines [first, body) of `lines`, the body starting after the
// blank line that ends it.
struct PartHeader {
  std::string encoding;  // lower case
  std::string type = "text/plain";
  std::string charset, name;
};

PartHeader ReadHeader(const std::vector<std::string_view>& lines, size_t first, size_t end) {
  PartHeader h;
  // Unfolded header fields of the block.
  std::vector<std::string> fields;
  for (size_t i = first; i < end; ++i) {
    std::string_view c = Content(lines[i]);
    if (!fields.empty() && !c.empty() && (c[0] == ' ' || c[0] == '\t')) {
      fields.back() += " " + std::string(Trim(c));
    } else {
      fields.emplace_back(c);
    }
  }
  for (const std::string& f : fields) {
    std::string lower = Lower(f);
    auto value = [&](size_t prefix) {
      return std::string(Trim(std::string_view(f).substr(prefix)));
    };
    if (lower.rfind("content-transfer-encoding:", 0) == 0) {
      h.encoding = Lower(value(26));
    } else if (lower.rfind("content-type:", 0) == 0) {
      std::string v = value(13);
      h.type = Lower(Trim(v.substr(0, v.find(';'))));
      h.charset = Param(v, "charset");
      if (h.name.empty()) h.name = Param(v, "name");
    } else if (lower.rfind("content-disposition:", 0) == 0) {
      std::string n = Param(value(20), "filename");
      if (!n.empty()) h.name = n;
    }
  }
  return h;
}

std::string AttachmentLine(const std::string& description) {
  return "[attachment left out of this release: " + description + "]\n";
}

std::string Describe(const PartHeader& h, size_t bytes) {
  std::string d = h.type;
  if (!h.name.empty()) d += " \"" + h.name + "\"";
  return d + ", " + std::to_string(bytes) + " bytes";
}

// RFC 2047 encoded words ("=?utf-8?B?...?=") decoded; white space between two of them dropped.
std::string DecodeEncodedWords(std::string_view text, bool* found) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  size_t pending_space = 0;  // bytes of white space after an encoded word, not yet written
  while (i < text.size()) {
    if (text.compare(i, 2, "=?") == 0) {
      size_t q1 = text.find('?', i + 2);
      size_t q2 = q1 == std::string_view::npos ? q1 : text.find('?', q1 + 1);
      size_t end = q2 == std::string_view::npos ? q2 : text.find("?=", q2 + 1);
      size_t nl = text.find('\n', i);
      if (end != std::string_view::npos && q2 == q1 + 2 &&
          (nl == std::string_view::npos || end < nl)) {
        std::string charset(text.substr(i + 2, q1 - i - 2));
        charset = charset.substr(0, charset.find('*'));  // RFC 2231 language
        const char enc = char(std::tolower(static_cast<unsigned char>(text[q1 + 1])));
        std::string_view payload = text.substr(q2 + 1, end - q2 - 1);
        std::optional<std::string> bytes;
        if (enc == 'b') {
          bytes = DecodeBase64(payload);
        } else if (enc == 'q') {
          bytes = DecodeQuotedPrintable(payload, true);
        }
        if (bytes) {
          if (!last_was_word) out.append(text.substr(i - pending_space, pending_space));
          out += ToUtf8(*bytes, charset);
          *found = true;
          i = end + 2;
          last_was_word = true;
          pending_space = 0;
          continue;
        }
      }
    }
    const char c = text[i];
    if (last_was_word && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      ++pending_space;
      ++i;
      continue;
    }
    if (pending_space > 0) out.append(text.substr(i - pending_space, pending_space));
    pending_space = 0;
    last_was_word = false;
    out.push_back(c);
    ++i;
  }
  if (pending_space > 0) out.append(text.substr(text.size() - pending_space));
  return out;
}

// A decoded body: text in place (ending in a line break), or a line saying an attachment was
// left out.
std::string DecodedBody(const std::string& bytes, const PartHeader& h, const std::string& kind,
                        std::vector<EncodedPart>* parts) {
  const bool textual = h.type.rfind("text/", 0) == 0 || h.type == "message/rfc822";
  if (textual && LooksLikeText(bytes)) {
    std::string text = ToUtf8(bytes, h.charset);
    if (!text.empty() && text.back() != '\n') text += '\n';
    parts->push_back({kind, Describe(h, bytes.size()), false});
    return text;
  }
  parts->push_back({kind, Describe(h, bytes.size()), true});
  return AttachmentLine(Describe(h, bytes.size()));
}

std::string Join(const std::vector<std::string_view>& lines, size_t first, size_t end) {
  std::string s;
  for (size_t i = first; i < end; ++i) s.append(lines[i]);
  return s;
}

// Lenient base64: every character outside the alphabet is dropped, then as much as decodes.
std::string Base64Lenient(std::string_view body) {
  std::string clean;
  for (char c : body) {
    if (IsBase64Char(c) && c != '=') clean.push_back(c);
  }
  while (clean.size() % 4 != 0) {
    if (clean.size() % 4 == 1) {
      clean.pop_back();
    } else {
      clean.push_back('=');
    }
  }
  auto d = DecodeBase64(clean);
  return d ? *d : std::string();
}

}  // namespace

namespace {

using Lines = std::vector<std::string_view>;

// Each reader below looks at line `i`: if an encoded block starts there, it appends the block
// decoded to `out` and returns the line after it; otherwise nullopt.

// A MIME part with a transfer encoding: its header block, then its body up to the boundary.
std::optional<size_t> MimePart(const Lines& lines, size_t i, DecodedText* out) {
  if (Lower(Content(lines[i])).rfind("content-transfer-encoding:", 0) != 0) return std::nullopt;
  size_t first = i;
  while (first > 0 && !IsBlank(lines[first - 1]) && !IsBoundary(lines[first - 1])) --first;
  size_t blank = i;
  while (blank < lines.size() && !IsBlank(lines[blank])) ++blank;
  PartHeader h = ReadHeader(lines, first, blank);
  if ((h.encoding != "base64" && h.encoding != "quoted-printable") || blank >= lines.size()) {
    return std::nullopt;
  }
  size_t end = blank + 1;
  while (end < lines.size() && !IsBoundary(lines[end])) ++end;
  out->text += Join(lines, i, blank + 1);  // the rest of the header block and the blank line
  const std::string body = Join(lines, blank + 1, end);
  const std::string bytes =
      h.encoding == "base64" ? Base64Lenient(body) : DecodeQuotedPrintable(body);
  out->text += DecodedBody(bytes, h, h.encoding, &out->parts);
  return end;
}

// uuencoded data: "begin 644 name" ... "end".
std::optional<size_t> Uuencoded(const Lines& lines, size_t i, DecodedText* out) {
  const std::string lower = Lower(Content(lines[i]));
  if (lower.rfind("begin ", 0) != 0 || lower.size() <= 10 || !std::isdigit(lower[6]) ||
      !std::isdigit(lower[7]) || !std::isdigit(lower[8]) || lower[9] != ' ') {
    return std::nullopt;
  }
  size_t end = i + 1;
  while (end < lines.size() && Trim(Content(lines[end])) != "end") ++end;
  if (end >= lines.size()) return std::nullopt;
  std::vector<std::string_view> data(lines.begin() + long(i) + 1, lines.begin() + long(end));
  PartHeader h;
  h.type = "application/octet-stream";
  h.name = std::string(Trim(Content(lines[i]).substr(10)));
  std::string bytes = DecodeUuLines(data);
  if (LooksLikeText(bytes) && IsValidUtf8(bytes)) h.type = "text/plain";
  out->text += DecodedBody(bytes, h, "uuencode", &out->parts);
  return end + 1;
}

// A bare run of base64 lines, long and mixed enough not to be ordinary words.
std::optional<size_t> BareBase64(const Lines& lines, size_t i, DecodedText* out) {
  if (!IsBase64Line(lines[i], 16)) return std::nullopt;
  size_t end = i, chars = 0;
  while (end < lines.size() && IsBase64Line(lines[end], 4)) chars += Content(lines[end++]).size();
  std::string joined;
  for (size_t k = i; k < end; ++k) joined += Content(lines[k]);
  const bool mixed = std::any_of(joined.begin(), joined.end(), ::isupper) &&
                     std::any_of(joined.begin(), joined.end(), ::islower) &&
                     std::any_of(joined.begin(), joined.end(), ::isdigit);
  auto bytes = chars >= kBareBase64Chars && mixed && joined.size() % 4 == 0 ? DecodeBase64(joined)
                                                                            : std::nullopt;
  if (!bytes || !(LooksLikeText(*bytes) || bytes->size() >= kAttachmentBytes)) {
    return std::nullopt;
  }
  PartHeader h;
  h.type = LooksLikeText(*bytes) ? "text/plain" : "application/octet-stream";
  out->text += DecodedBody(*bytes, h, "base64", &out->parts);
  return end;
}

// A paragraph of quoted-printable: soft line breaks and =XX escapes.
std::optional<size_t> QuotedPrintableParagraph(const Lines& lines, size_t i, DecodedText* out) {
  if (i != 0 && !IsBlank(lines[i - 1])) return std::nullopt;
  size_t end = i;
  while (end < lines.size() && !IsBlank(lines[end])) ++end;
  size_t soft = 0, escapes = 0;
  for (size_t k = i; k < end; ++k) {
    std::string_view c = Content(lines[k]);
    if (!c.empty() && c.back() == '=') ++soft;
    for (size_t x = 0; x + 2 < c.size(); ++x) {
      escapes += c[x] == '=' && HexValue(c[x + 1]) >= 0 && HexValue(c[x + 2]) >= 0;
    }
  }
  if (soft < 2 || escapes < 1) return std::nullopt;
  PartHeader h;
  out->text +=
      DecodedBody(DecodeQuotedPrintable(Join(lines, i, end)), h, "quoted-printable", &out->parts);
  return end;
}

}  // namespace

DecodedText DecodeEncodedText(std::string_view input) {
  DecodedText out;
  bool words = false;
  const std::string unfolded = DecodeEncodedWords(input, &words);
  if (words) out.parts.push_back({"encoded words", "RFC 2047 encoded header words", false});
  const Lines lines = SplitLines(unfolded);
  for (size_t i = 0; i < lines.size();) {
    std::optional<size_t> next = MimePart(lines, i, &out);
    if (!next) next = Uuencoded(lines, i, &out);
    if (!next) next = BareBase64(lines, i, &out);
    if (!next) next = QuotedPrintableParagraph(lines, i, &out);
    if (next) {
      i = *next;
    } else {
      out.text.append(lines[i]);
      ++i;
    }
  }
  return out;
}

std::string DecodedContent(std::string_view text) {
  DecodedText d = DecodeEncodedText(text);
  return d.parts.empty() ? std::string() : d.text;
}

}  // namespace redact
