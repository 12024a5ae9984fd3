#include "pipeline/extract/email.h"

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
// libytnef's header declares C functions without saying so.
extern "C" {
#include <ytnef.h>
}

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>

#include "pipeline/core/files.h"
#include "pipeline/core/text.h"
#include "pipeline/ingest/ingest.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

void InitGmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// GObject references, released when they go.
template <typename T>
struct Ref {
  T* p = nullptr;
  explicit Ref(T* x) : p(x) {}
  ~Ref() {
    if (p) g_object_unref(p);
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
};

std::string Owned(char* s) {
  if (!s) return {};
  std::string out(s);
  g_free(s);
  return out;
}

std::string Str(const char* s) { return s ? s : ""; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The headers a reader of the message sees, in the order a mail client shows them.
constexpr const char* kShownHeaders[] = {"From", "To", "Cc", "Date", "Subject"};

bool Shown(const std::string& name) {
  for (const char* h : kShownHeaders) {
    if (strcasecmp(name.c_str(), h) == 0) return true;
  }
  return false;
}

// A name safe to write: no folders, no dots first, printable, not too long. Bidirectional
// controls (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) go: "report\u202Efdp.exe"
// would show as "reportexe.pdf" in a listing.
std::string SafeName(std::string name, int n) {
  std::string out;
  const std::string base = fs::path(name).filename().string();
  for (size_t i = 0; i < base.size(); ++i) {
    const unsigned char u = static_cast<unsigned char>(base[i]);
    if (i + 2 < base.size() && u == 0xE2) {
      const unsigned char b1 = static_cast<unsigned char>(base[i + 1]);
      const unsigned char b2 = static_cast<unsigned char>(base[i + 2]);
      if ((b1 == 0x80 && ((b2 >= 0xAA && b2 <= 0xAE) || b2 == 0x8E || b2 == 0x8F)) ||
          (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)) {
        i += 2;
        continue;
      }
    }
    if (i + 1 < base.size() && u == 0xD8 && static_cast<unsigned char>(base[i + 1]) == 0x9C) {
      ++i;
      continue;
    }
    const char c = base[i];
    out += (u < 32 || u == 127 || c == '/' || c == '\\' || c == ':') ? '_' : c;
  }
  while (!out.empty() && (out[0] == '.' || out[0] == ' ')) out.erase(0, 1);
  if (out.size() > 120) out = out.substr(out.size() - 120);
  // Never a character cut in two by the shortening.
  while (!out.empty() && (static_cast<unsigned char>(out[0]) & 0xC0) == 0x80) out.erase(0, 1);
  if (out.empty()) out = "attachment-" + std::to_string(n);
  return out;
}

std::string Bytes(GMimeStream* mem) {
  GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  return a ? std::string(reinterpret_cast<const char*>(a->data), a->len) : std::string();
}

// Whether `line` opens a uuencoded block: "begin", a mode of octal digits, a file name.
bool UuencodeBegin(const std::string& line, std::string* name) {
  if (line.rfind("begin ", 0) != 0) return false;
  size_t i = 6, digits = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '7') ++i, ++digits;
  if (digits < 3 || digits > 4 || i >= line.size() || line[i] != ' ') return false;
  *name = line.substr(i + 1);
  return true;
}

// `bytes` without the blank lines before its first: a forwarded message whose part ends its
// headers with one blank line too many still opens with its own headers.
std::string_view WithoutLeadingBlankLines(std::string_view bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t nl = bytes.find('\n', at);
    if (nl == std::string_view::npos) break;
    if (bytes.substr(at, nl - at).find_first_not_of(" \t\r") != std::string_view::npos) break;
    at = nl + 1;
  }
  return bytes.substr(at);
}

// A forwarded message as GMime writes it after parsing it again from its first header, or
// nullopt if `bytes` do not open with a message's headers. Attached as a message, it is read
// by the e-mail path (its hidden headers listed, never printed), whatever its part was labelled.
std::optional<std::string> ForwardedMessage(std::string_view bytes, std::string* subject) {
  std::string copy(WithoutLeadingBlankLines(bytes));
  if (!LooksLikeEmail(copy.substr(0, 1 << 20))) return std::nullopt;
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(copy.data(), copy.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  g_mime_parser_set_format(parser.p, GMIME_FORMAT_MESSAGE);
  Ref<GMimeMessage> message(g_mime_parser_construct_message(parser.p, nullptr));
  if (!message.p) return copy;  // sniffed as a message all the same
  *subject = Str(g_mime_message_get_subject(message.p));
  Ref<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_object_write_to_stream(GMIME_OBJECT(message.p), nullptr, mem.p);
  return Bytes(mem.p);
}

struct Walk {
  const EmailLimits& limits;
  const std::string& dir;
  ReadEmail* out;
  int parts = 0;
  std::set<std::string> names;
  Status status;

  // A new file name in `dir` for `name`: "a.pdf", then "a-2.pdf", ...
  std::string FreeName(const std::string& name) {
    std::string candidate = name;
    const fs::path p(name);
    for (int n = 2; !names.insert(candidate).second; ++n) {
      candidate = p.stem().string() + "-" + std::to_string(n) + p.extension().string();
    }
    return candidate;
  }

  // Outlook's TNEF wrapper (winmail.dat): the files inside it are the attachments, and its
  // rich-text body, if any, one more (LibreOffice reads RTF). A wrapper that does not parse is
  // attached as it is, to be quarantined as of a kind we do not read.
  bool UnwrapTnef(const std::string& name, const std::string& type, const std::string& bytes) {
    std::string lower = name;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (type != "application/ms-tnef" && lower != "winmail.dat") return false;
    TNEFStruct tnef;
    TNEFInitialize(&tnef);
    tnef.Debug = 0;
    std::string copy = bytes;  // the parser takes a writable buffer
    if (copy.empty() ||
        TNEFParseMemory(reinterpret_cast<BYTE*>(copy.data()), long(copy.size()), &tnef) != 0) {
      TNEFFree(&tnef);
      return false;
    }
    int files = 0;
    for (Attachment* a = tnef.starting_attach.next; a && status.ok(); a = a->next) {
      if (a->FileData.size <= 0 || !a->FileData.data) continue;
      std::string file;
      if (variableLength* v =
              MAPIFindProperty(&a->MAPI, PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME));
          v != MAPI_UNDEFINED && v && v->data && v->size > 0) {
        file.assign(reinterpret_cast<const char*>(v->data),
                    strnlen(reinterpret_cast<const char*>(v->data), size_t(v->size)));
      } else if (a->Title.data && a->Title.size > 0) {
        file.assign(reinterpret_cast<const char*>(a->Title.data),
                    strnlen(reinterpret_cast<const char*>(a->Title.data), size_t(a->Title.size)));
      }
      Store(file.empty() ? "tnef-attachment" : file, "application/octet-stream",
            std::string(reinterpret_cast<const char*>(a->FileData.data), size_t(a->FileData.size)));
      ++files;
    }
    if (variableLength* rtf =
            MAPIFindProperty(&tnef.MapiProperties, PROP_TAG(PT_BINARY, PR_RTF_COMPRESSED));
        rtf != MAPI_UNDEFINED && rtf && rtf->data && status.ok()) {
      int size = 0;
      if (BYTE* body = DecompressRTF(rtf, &size); body && size > 0) {
        Store("message body.rtf", "application/rtf",
              std::string(reinterpret_cast<const char*>(body), size_t(size)));
        free(body);
        ++files;
      }
    }
    out->hidden.push_back({"tnef", 0,
                           name + ": Outlook's wrapper, " + std::to_string(files) +
                               " file(s) inside it attached on their own"});
    TNEFFree(&tnef);
    return true;
  }

  void Attach(const std::string& name, const std::string& type, const std::string& bytes) {
    if (!status.ok()) return;
    if (UnwrapTnef(name, type, bytes)) return;
    Store(name, type, bytes);
  }

  void Store(const std::string& name, const std::string& type, const std::string& bytes) {
    if (!status.ok()) return;
    if (bytes.size() > limits.max_attachment_bytes) {
      out->hidden.push_back({"attachment", 0,
                             name + " (" + type + ", " + std::to_string(bytes.size()) +
                                 " bytes: over the limit, not released)"});
      return;
    }
    const std::string file = FreeName(SafeName(name, int(out->attachments.size()) + 1));
    const std::string path = (fs::path(dir) / file).string();
    status = WriteFileAtomic(path, bytes);
    if (!status.ok()) return;
    out->attachments.push_back({file, path, type, bytes.size()});
    out->hidden.push_back(
        {"attachment", 0, file + " (" + type + ", " + std::to_string(bytes.size()) + " bytes)"});
  }

  // `body` without its uuencoded blocks ("begin 644 name" ... "end"), each decoded and
  // attached as the file it is (as mail clients show them): the encoded lines are never text
  // to release. A block cut short or badly encoded is decoded as far as it goes (clients are
  // as lenient), and taken out all the same.
  std::string TakeUuencoded(const std::string& body) {
    std::string kept, line;
    size_t pos = 0;
    auto next_line = [&]() {
      if (pos >= body.size()) return false;
      size_t nl = body.find('\n', pos);
      if (nl == std::string::npos) nl = body.size();
      line = body.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pos = nl + 1;
      return true;
    };
    while (next_line()) {
      std::string name;
      if (!UuencodeBegin(line, &name)) {
        kept += line + "\n";
        continue;
      }
      std::string bytes;
      bool ended = false;
      while (next_line()) {
        if (line == "end") {
          ended = true;
          break;
        }
        if (line.empty() || line == "`") continue;
        const int n = (static_cast<unsigned char>(line[0]) - 32) & 63;
        std::string decoded;
        for (size_t i = 1; i + 1 < line.size() && int(decoded.size()) < n; i += 4) {
          unsigned char c[4] = {0, 0, 0, 0};
          for (int k = 0; k < 4 && i + size_t(k) < line.size(); ++k) {
            c[k] = (static_cast<unsigned char>(line[i + size_t(k)]) - 32) & 63;
          }
          decoded += char((c[0] << 2) | (c[1] >> 4));
          decoded += char(((c[1] & 15) << 4) | (c[2] >> 2));
          decoded += char(((c[2] & 3) << 6) | c[3]);
        }
        decoded.resize(std::min(decoded.size(), size_t(n)));
        bytes += decoded;
      }
      if (!ended) {
        out->hidden.push_back(
            {"uuencoded block", 0, name + ": no \"end\" line; decoded as far as it goes"});
      }
      Attach(name.empty() ? "uuencoded-" + std::to_string(out->attachments.size() + 1) : name,
             "application/octet-stream", bytes);
    }
    if (!body.empty() && body.back() != '\n' && !kept.empty()) kept.pop_back();
    return kept;
  }

  static std::string ForwardedName(const std::string& name, const std::string& subject) {
    if (!name.empty()) return name;
    return (subject.empty() ? "forwarded message" : subject) + ".eml";
  }

  // A leaf part: text to show, or an attachment.
  void Part(GMimePart* part, bool in_alternative, bool* shown_alternative) {
    GMimeContentType* ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
    const std::string type = Owned(g_mime_content_type_get_mime_type(ct));
    const bool text = g_mime_content_type_is_type(ct, "text", "plain") ||
                      g_mime_content_type_is_type(ct, "text", "html");
    if (text && !g_mime_part_is_attachment(part) && GMIME_IS_TEXT_PART(part)) {
      std::string body = Owned(g_mime_text_part_get_text(GMIME_TEXT_PART(part)));
      if (g_mime_content_type_is_type(ct, "text", "html")) {
        body = HtmlText(body);
      } else {
        body = TakeUuencoded(body);
      }
      if (in_alternative && *shown_alternative) {
        out->hidden.push_back({"alternative body (" + type + ")", 0, body});
        return;
      }
      *shown_alternative = true;
      if (!out->text.empty() && out->text.back() != '\n') out->text += "\n";
      out->text += "\n" + body;
      return;
    }
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    Ref<GMimeStream> mem(g_mime_stream_mem_new());
    if (content) g_mime_data_wrapper_write_to_stream(content, mem.p);
    std::string name = Str(g_mime_part_get_filename(part));
    // A message whose part's Content-Type GMime could not parse (it reads that as
    // application/octet-stream) or that was labelled as bytes: attached as the message it is.
    std::string subject;
    if (type == "application/octet-stream") {
      if (auto message = ForwardedMessage(Bytes(mem.p), &subject)) {
        Attach(ForwardedName(name, subject), "message/rfc822", *message);
        return;
      }
    }
    Attach(name.empty() ? "part-" + std::to_string(parts) : name, type, Bytes(mem.p));
  }

  void Object(GMimeObject* obj, int depth) {
    if (!status.ok()) return;
    if (++parts > limits.max_parts || depth > limits.max_depth) {
      status = Status::TooLarge(
          "the message has more than " + std::to_string(limits.max_parts) +
              " parts or nests "
              "them more than " +
              std::to_string(limits.max_depth) + " deep",
          "It is built to exhaust readers, or is far larger than correspondence: save its "
          "attachments separately and submit those.");
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      GMimeContentType* ct = g_mime_object_get_content_type(obj);
      const bool alternative = g_mime_content_type_is_type(ct, "multipart", "alternative");
      // A client shows the richest alternative it can: the last one.
      const int n = g_mime_multipart_get_count(mp);
      const std::string prologue = Str(g_mime_multipart_get_prologue(mp));
      if (n == 0 && prologue.find_first_not_of(" \t\r\n") != std::string::npos) {
        // The boundary never appears: what the parts hold was read as a preamble no client
        // shows. Released, the message would be an empty body with its parts silently gone.
        status = Status::InvalidInput(
            "a multipart part's boundary \"" + Str(g_mime_multipart_get_boundary(mp)) +
                "\" never appears: its " + std::to_string(prologue.size()) +
                " bytes cannot be split into parts (the message is malformed)",
            "Save the message again from the mail client, or print it to PDF and submit that.");
        return;
      }
      bool shown = false;
      for (int i = alternative ? n - 1 : 0; alternative ? i >= 0 : i < n;
           i += alternative ? -1 : 1) {
        GMimeObject* child = g_mime_multipart_get_part(mp, i);
        if (alternative && GMIME_IS_PART(child)) {
          Part(GMIME_PART(child), true, &shown);
        } else if (alternative && shown) {
          // An alternative already shown (often a multipart/related HTML one): the others are
          // listed, not shown, and their attachments still come out.
          const size_t before = out->text.size();
          Object(child, depth + 1);
          if (out->text.size() > before) {
            out->hidden.push_back({"alternative body", 0, out->text.substr(before)});
            out->text.resize(before);
          }
        } else {
          const size_t before = out->text.size();
          Object(child, depth + 1);
          if (alternative && out->text.size() > before) shown = true;
        }
      }
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      // A forwarded message: a document of its own.
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (!inner) return;
      Ref<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.p);
      std::string subject = Str(g_mime_message_get_subject(inner));
      std::string bytes = Bytes(mem.p);
      // A part with a blank line too many before the message's headers (its Content-Type
      // perhaps malformed too) parses as a message with no headers whose body is the real
      // message: parsed again from its first header.
      GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(inner));
      if (!headers || g_mime_header_list_get_count(headers) == 0) {
        if (auto message = ForwardedMessage(bytes, &subject)) bytes = std::move(*message);
      }
      Attach(ForwardedName("", subject), "message/rfc822", bytes);
      return;
    }
    if (GMIME_IS_PART(obj)) {
      bool shown = false;
      Part(GMIME_PART(obj), false, &shown);
    }
  }
};

// An element a mail client does not show: the hidden attribute, or a style that hides it
// (preheaders, Outlook's mso-hide, zero-size text).
bool HiddenElement(xmlNode* n) {
  if (xmlHasProp(n, BAD_CAST "hidden")) return true;
  xmlChar* style = xmlGetProp(n, BAD_CAST "style");
  if (!style) return false;
  std::string css;
  for (const xmlChar* c = style; *c; ++c) {
    if (!std::isspace(*c)) css += char(std::tolower(*c));
  }
  xmlFree(style);
  for (const char* hides : {"display:none", "visibility:hidden", "mso-hide:all", "font-size:0;",
                            "font-size:0px", "max-height:0", "opacity:0;"}) {
    if (css.find(hides) != std::string::npos) return true;
  }
  return css.size() >= 11 && css.compare(css.size() - 11, 11, "font-size:0") == 0;
}

void HtmlWalk(xmlNode* n, std::string* out) {
  for (xmlNode* c = n; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      const char* t = reinterpret_cast<const char*>(c->content);
      for (; t && *t; ++t) {
        const bool space = std::isspace(static_cast<unsigned char>(*t));
        if (space) {
          if (!out->empty() && out->back() != ' ' && out->back() != '\n') *out += ' ';
        } else {
          *out += *t;
        }
      }
      continue;
    }
    if (c->type != XML_ELEMENT_NODE) continue;
    const std::string name = reinterpret_cast<const char*>(c->name);
    if (name == "script" || name == "style" || name == "head" || name == "title" || name == "img" ||
        name == "object" || name == "iframe" || name == "template" || name == "noscript" ||
        HiddenElement(c)) {
      continue;
    }
    static const std::set<std::string> kBlocks = {"p",  "div", "br",  "tr",         "li", "h1",
                                                  "h2", "h3",  "h4",  "h5",         "h6", "table",
                                                  "ul", "ol",  "pre", "blockquote", "hr"};
    const bool block = kBlocks.count(name) > 0;
    if (block && !out->empty() && out->back() != '\n') *out += '\n';
    if (name == "td" || name == "th") *out += "  ";
    HtmlWalk(c->children, out);
    if (block && !out->empty() && out->back() != '\n') *out += '\n';
  }
}

// An RFC 2047 encoded word of a header value, found by its syntax: "=?" charset "?" encoding
// "?" encoded text "?=", no white space inside. GMime decodes it; this only says where it is.
struct EncodedWord {
  size_t begin = 0, end = 0;  // [begin, end) in the value
  std::string charset;        // without an RFC 2231 language ("utf-8*en")
  char encoding = 0;          // as written: 'B', 'q', ... (anything else is an error)
  std::string_view text;      // the encoded text
};

std::vector<EncodedWord> FindEncodedWords(std::string_view v) {
  std::vector<EncodedWord> out;
  auto plain = [](char c) { return c != '?' && !std::isspace(static_cast<unsigned char>(c)); };
  for (size_t at = v.find("=?"); at != std::string_view::npos; at = v.find("=?", at + 1)) {
    size_t q1 = at + 2;
    while (q1 < v.size() && plain(v[q1])) ++q1;
    if (q1 == at + 2 || q1 + 2 >= v.size() || v[q1] != '?' || !plain(v[q1 + 1]) ||
        v[q1 + 2] != '?') {
      continue;
    }
    size_t end = q1 + 3;
    while (end < v.size() && plain(v[end])) ++end;
    if (end + 1 >= v.size() || v[end] != '?' || v[end + 1] != '=') continue;
    EncodedWord w;
    w.begin = at;
    w.end = end + 2;
    w.charset = std::string(v.substr(at + 2, q1 - at - 2));
    w.charset = w.charset.substr(0, w.charset.find('*'));
    w.encoding = v[q1 + 1];
    w.text = v.substr(q1 + 3, end - q1 - 3);
    out.push_back(w);
    at = w.end - 1;
  }
  return out;
}

bool IsBase64Letter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

std::string Quote(std::string_view s) { return "\"" + std::string(s.substr(0, 80)) + "\""; }

// The encoded text of `w` as GMime decodes it whole: a base64 word that lost its "=" padding
// (common, and decoded by every client) has it put back, or GMime drops its last letters.
// An error if the text is not of its encoding's alphabet.
Result<std::string> CheckedEncodedText(const EncodedWord& w) {
  if (w.charset.empty()) return Status::InvalidInput("it names no charset");
  const char e = char(std::toupper(static_cast<unsigned char>(w.encoding)));
  std::string text(w.text);
  if (e == 'B') {
    size_t letters = 0;
    while (letters < text.size() && IsBase64Letter(text[letters])) ++letters;
    size_t pad = letters;
    while (pad < text.size() && text[pad] == '=') ++pad;
    if (pad != text.size() || pad - letters > 2 || letters % 4 == 1 || letters == 0) {
      return Status::InvalidInput("its encoded text " + Quote(text) + " is not base64");
    }
    text.resize(letters);
    while (text.size() % 4 != 0) text += '=';
    return text;
  }
  if (e == 'Q') {
    for (size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const bool escape = c == '=' && i + 2 < text.size() &&
                          std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                          std::isxdigit(static_cast<unsigned char>(text[i + 2]));
      if (c < 33 || c > 126 || (c == '=' && !escape)) {
        return Status::InvalidInput("its encoded text " + Quote(text) + " is not quoted-printable");
      }
      if (escape) i += 2;
    }
    return text;
  }
  return Status::InvalidInput("its encoding \"" + std::string(1, w.encoding) +
                              "\" is neither B (base64) nor Q (quoted-printable)");
}

// The bytes an encoded word's (checked) text stands for, by GMime's decoders.
std::string EncodedWordBytes(char encoding, std::string text) {
  const bool q = std::toupper(static_cast<unsigned char>(encoding)) == 'Q';
  if (q) std::replace(text.begin(), text.end(), '_', ' ');  // RFC 2047 4.2: "_" is a space
  GMimeEncoding state;
  g_mime_encoding_init_decode(
      &state, q ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE : GMIME_CONTENT_ENCODING_BASE64);
  std::string out(g_mime_encoding_outlen(&state, text.size()) + 4, '\0');
  out.resize(g_mime_encoding_flush(&state, text.data(), text.size(), out.data()));
  return out;
}

// Whether `bytes` are text in `charset`, converted strictly (no byte skipped or replaced).
// nullopt if iconv does not know the charset.
std::optional<bool> IsTextIn(const std::string& charset, const std::string& bytes) {
  iconv_t cd = g_mime_iconv_open("UTF-8", charset.c_str());
  if (cd == iconv_t(-1)) return std::nullopt;
  std::string out(bytes.size() * 8 + 32, '\0');
  char* in = const_cast<char*>(bytes.data());
  char* o = out.data();
  size_t in_left = bytes.size(), out_left = out.size();
  bool ok = g_mime_iconv(cd, &in, &in_left, &o, &out_left) != size_t(-1) && in_left == 0;
  // A stateful charset (UTF-7, ISO-2022) left mid-sequence is cut short.
  ok = ok && g_mime_iconv(cd, nullptr, nullptr, &o, &out_left) != size_t(-1);
  g_mime_iconv_close(cd);
  return ok;
}

// A decoded value on one line: line and paragraph breaks, tabs and every other control
// character become spaces.
std::string OnOneLine(const std::string& decoded) {
  std::string out;
  for (char32_t c : DecodeUtf8(decoded)) {
    const bool control = c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
    out += control ? std::string(" ") : EncodeUtf8(c);
  }
  return out;
}

}  // namespace

std::string HtmlText(const std::string& html) {
  htmlDocPtr doc = htmlReadMemory(
      html.data(), int(html.size()), nullptr, "UTF-8",
      HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
  if (!doc) return {};
  std::string out;
  HtmlWalk(xmlDocGetRootElement(doc), &out);
  xmlFreeDoc(doc);
  return out;
}

bool HasEncodedWord(std::string_view text) { return !FindEncodedWords(text).empty(); }

Result<std::string> DecodeHeaderValue(std::string_view raw) {
  InitGmime();
  // Unfolded: a line break before white space is folding; any other is a space.
  std::string value;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\r' && c != '\n') {
      value += c;
      continue;
    }
    size_t next = i + 1;
    if (c == '\r' && next < raw.size() && raw[next] == '\n') ++next;
    if (next >= raw.size() || (raw[next] != ' ' && raw[next] != '\t')) value += ' ';
    i = next - 1;
  }
  const std::vector<EncodedWord> words = FindEncodedWords(value);
  // Checked word by word, and the bytes of adjacent words in one charset together (a
  // character may be split between them); the value handed to GMime with padding restored.
  std::string for_gmime;
  size_t copied = 0;
  std::string run_charset, run_bytes, run_first;  // run_first: its first word, as written
  auto end_run = [&]() -> Status {
    if (run_charset.empty()) return Status::Ok();
    const std::optional<bool> text = IsTextIn(run_charset, run_bytes);
    const std::string charset = std::move(run_charset);
    run_charset.clear();
    if (text && *text) return Status::Ok();
    return Status::InvalidInput(
        "the encoded word " + Quote(run_first) + " cannot be decoded: " +
        (text ? "its bytes are not " + charset + " text"
              : "its charset " + Quote(charset) + " is not one iconv knows"));
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const EncodedWord& w = words[i];
    const std::string written = value.substr(w.begin, w.end - w.begin);
    auto text = CheckedEncodedText(w);
    if (!text.ok()) {
      return Status::InvalidInput("the encoded word " + Quote(written) +
                                  " cannot be decoded: " + text.status().message());
    }
    const bool adjacent = i > 0 && value.find_first_not_of(" \t", words[i - 1].end) == w.begin;
    if (!adjacent || strcasecmp(run_charset.c_str(), w.charset.c_str()) != 0) {
      if (Status s = end_run(); !s.ok()) return s;
      run_charset = w.charset;
      run_bytes.clear();
      run_first = written;
    }
    run_bytes += EncodedWordBytes(w.encoding, *text);
    for_gmime.append(value, copied, w.begin - copied);
    for_gmime += "=?" + w.charset + "?" + w.encoding + "?" + *text + "?=";
    copied = w.end;
  }
  if (Status s = end_run(); !s.ok()) return s;
  for_gmime.append(value, copied);
  char* decoded =
      g_mime_utils_header_decode_text(g_mime_parser_options_get_default(), for_gmime.c_str());
  return OnOneLine(Owned(decoded));
}

std::string DecodeTransferEncoding(std::string_view body, std::string_view encoding) {
  InitGmime();
  GMimeContentEncoding e = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
  std::string in(body);
  if (encoding == "base64") {
    // Letters only, padded again: GMime drops a last group cut short, clients do not.
    in.erase(std::remove_if(in.begin(), in.end(), [](char c) { return !IsBase64Letter(c); }),
             in.end());
    if (in.size() % 4 == 1) in.pop_back();
    while (in.size() % 4 != 0) in += '=';
    e = GMIME_CONTENT_ENCODING_BASE64;
  } else if (encoding == "uuencode") {
    e = GMIME_CONTENT_ENCODING_UUENCODE;
  }
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, e);
  std::string out(g_mime_encoding_outlen(&state, in.size()) + 4, '\0');
  out.resize(g_mime_encoding_flush(&state, in.data(), in.size(), out.data()));
  return out;
}

Result<ReadEmail> ReadEmailMessage(const std::string& path, const std::string& attachments_dir,
                                   const EmailLimits& limits) {
  InitGmime();
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(data->data(), data->size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  g_mime_parser_set_format(parser.p, GMIME_FORMAT_MESSAGE);
  Ref<GMimeMessage> message(g_mime_parser_construct_message(parser.p, nullptr));
  if (!message.p) {
    return Status::InvalidInput("the e-mail cannot be parsed as a message",
                                "Save it again from the mail client (as .eml) and submit that.");
  }
  ReadEmail out;
  // The headers a reader sees, then the rest, which only the audit lists.
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.p));
  const int n = headers ? g_mime_header_list_get_count(headers) : 0;
  for (const char* shown : kShownHeaders) {
    for (int i = 0; i < n; ++i) {
      GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
      const std::string name = Str(g_mime_header_get_name(h));
      if (strcasecmp(name.c_str(), shown) != 0) continue;
      // Decoded from the header as it came, as the text path decodes it: on one line, and
      // quarantined, not shown raw, if a word of it cannot be decoded.
      auto value = DecodeHeaderValue(Str(g_mime_header_get_raw_value(h)));
      if (!value.ok()) {
        return Status::InvalidInput(
            "the header \"" + std::string(shown) +
                "\" cannot be decoded: " + value.status().message(),
            "Ask the sender to send the message again, or save it from another mail client.");
      }
      out.text += std::string(shown) + ": " + std::string(Trim(*value)) + "\n";
    }
  }
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    const std::string name = Str(g_mime_header_get_name(h));
    if (!Shown(name)) {
      out.hidden.push_back({"mail header", 0, name + ": " + Str(g_mime_header_get_value(h))});
    }
  }
  std::error_code ec;
  fs::create_directories(attachments_dir, ec);
  if (ec) return Status::Io("cannot create " + attachments_dir + ": " + ec.message());
  Walk walk{limits, attachments_dir, &out, 0, {}, Status::Ok()};
  if (GMimeObject* body = g_mime_message_get_mime_part(message.p)) walk.Object(body, 0);
  if (!walk.status.ok()) return walk.status;
  if (!out.attachments.empty()) {
    out.text += "\n\nAttachments (each released on its own):\n";
    for (const EmailAttachment& a : out.attachments) {
      out.text += "  " + a.name + " (" + a.content_type + ")\n";
    }
  }
  return out;
}

}  // namespace redact
