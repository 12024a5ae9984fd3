#include "pipeline/extract/email.h"

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
// libytnef's header declares C functions without saying so.
extern "C" {
#include <ytnef.h>
}

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>

#include "pipeline/core/files.h"

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

// The headers a reader of the message sees, in the order a mail client shows them.
constexpr const char* kShownHeaders[] = {"From", "To", "Cc", "Date", "Subject"};

bool Shown(const std::string& name) {
  for (const char* h : kShownHeaders) {
    if (strcasecmp(name.c_str(), h) == 0) return true;
  }
  return false;
}

// A name safe to write: no folders, no dots first, printable, not too long.
std::string SafeName(std::string name, int n) {
  std::string out;
  for (char c : fs::path(name).filename().string()) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += (u < 32 || c == '/' || c == '\\' || c == ':') ? '_' : c;
  }
  while (!out.empty() && (out[0] == '.' || out[0] == ' ')) out.erase(0, 1);
  if (out.size() > 120) out = out.substr(out.size() - 120);
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
      Attach((subject.empty() ? "forwarded message" : subject) + ".eml", "message/rfc822",
             Bytes(mem.p));
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
      if (strcasecmp(name.c_str(), shown) == 0) {
        out.text += std::string(shown) + ": " + Str(g_mime_header_get_value(h)) + "\n";
      }
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
