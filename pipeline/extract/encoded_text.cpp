#include "pipeline/extract/encoded_text.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"
#include "pipeline/extract/email.h"

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
  const std::string bytes = DecodeTransferEncoding(body, h.encoding);
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
  std::string bytes = DecodeTransferEncoding(Join(data, 0, data.size()), "uuencode");
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
  out->text += DecodedBody(DecodeTransferEncoding(Join(lines, i, end), "quoted-printable"), h,
                           "quoted-printable", &out->parts);
  return end;
}

// A header field's first line: a name of printable ASCII (RFC 5322 2.2), then a colon.
size_t FieldNameEnd(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] > ' ' && line[i] < 127 && line[i] != ':') ++i;
  return i > 0 && i < line.size() && line[i] == ':' ? i : std::string_view::npos;
}

// `input` with every header field (its folded lines with it) or other line that holds RFC
// 2047 encoded words decoded by GMime, on one line; an error naming the header (or line) and
// why if one cannot be decoded.
Result<std::string> DecodeHeaderWords(std::string_view input, bool* found) {
  const Lines lines = SplitLines(input);
  std::string out;
  for (size_t i = 0; i < lines.size();) {
    const size_t colon = FieldNameEnd(lines[i]);
    size_t end = i + 1;
    if (colon != std::string_view::npos) {  // and its folded lines
      while (end < lines.size() && (lines[end][0] == ' ' || lines[end][0] == '\t') &&
             !IsBlank(lines[end])) {
        ++end;
      }
    }
    const std::string block = Join(lines, i, end);
    if (!HasEncodedWord(block)) {
      out += block;
      i = end;
      continue;
    }
    *found = true;
    std::string_view value = Content(block);
    std::string name, lead;
    if (colon != std::string_view::npos) {
      name = std::string(value.substr(0, colon));
      value.remove_prefix(colon + 1);
      const size_t text = value.find_first_not_of(" \t");
      lead = std::string(value.substr(0, text == std::string_view::npos ? value.size() : text));
      value.remove_prefix(lead.size());
    }
    auto decoded = DecodeHeaderValue(value);
    if (!decoded.ok()) {
      return Status::InvalidInput(
          (name.empty() ? "line " + std::to_string(i + 1) : "the header \"" + name + "\"") +
              " cannot be decoded: " + decoded.status().message(),
          "Ask for the message as it arrived (.eml), or replace the encoded words (=?...?=) "
          "with the text they stand for, and submit it again.");
    }
    out += name.empty() ? *decoded : name + ":" + lead + *decoded;
    out += block.substr(Content(block).size());  // the line ending
    i = end;
  }
  return out;
}

}  // namespace

Result<DecodedText> DecodeEncodedText(std::string_view input) {
  DecodedText out;
  bool words = false;
  auto unfolded = DecodeHeaderWords(input, &words);
  if (!unfolded.ok()) return unfolded.status();
  if (words) out.parts.push_back({"encoded words", "RFC 2047 encoded header words", false});
  const Lines lines = SplitLines(*unfolded);
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

Result<std::string> DecodedContent(std::string_view text) {
  auto d = DecodeEncodedText(text);
  if (!d.ok()) return d.status();
  return d->parts.empty() ? std::string() : std::move(d->text);
}

}  // namespace redact
