#include "pipeline/extract/office_package.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace redact {
namespace {

constexpr const char* kW = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr const char* kWp =
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
constexpr const char* kRel = "http://schemas.openxmlformats.org/package/2006/relationships";
constexpr const char* kText = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
constexpr const char* kOffice = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
constexpr const char* kStyle = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
constexpr const char* kTable = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
constexpr const char* kDraw = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
constexpr const char* kXlink = "http://www.w3.org/1999/xlink";
constexpr const char* kSvg = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0";
constexpr const char* kMeta = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0";
constexpr const char* kDc = "http://purl.org/dc/elements/1.1/";

// --- the zip archive --------------------------------------------------------------------------

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using Zip = std::unique_ptr<zip_t, ZipCloser>;

struct Entry {
  std::string name;
  uint64_t size = 0;  // inflated
};

Status DamagedZip(int error, const std::string& where) {
  zip_error_t e;
  zip_error_init_with_code(&e, error);
  std::string why = zip_error_strerror(&e);
  zip_error_fini(&e);
  return Status::InvalidInput(
      "the Office file" + where + " is damaged (not a complete zip archive: " + why + ")",
      "Open it in the word processor, save it again and submit that.");
}

Result<Zip> OpenZip(const std::string& path) {
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!z) return DamagedZip(error, "");
  return Zip(z);
}

// A package held in memory (one embedded in another). REQUIRES: `bytes` outlives the result.
Result<Zip> OpenZipBytes(const std::string& bytes, const std::string& where) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error) : nullptr;
  const int code = zip_error_code_zip(&error);
  zip_error_fini(&error);
  if (!z) {
    if (src) zip_source_free(src);
    return DamagedZip(code, "'s " + where);
  }
  return Zip(z);
}

// Every entry, checked against the limits before anything is inflated. `inflated` counts what
// all the packages of one file (the outer one and those embedded in it) inflate to.
Result<std::vector<Entry>> Entries(zip_t* z, const OfficeLimits& limits, uint64_t* inflated) {
  const zip_int64_t n = zip_get_num_entries(z, 0);
  if (n < 0 || n > limits.max_entries) {
    return Status::TooLarge("the Office file holds " + std::to_string(n) +
                            " parts, over the limit of " + std::to_string(limits.max_entries));
  }
  std::vector<Entry> out;
  uint64_t& total = *inflated;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(z, zip_uint64_t(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
      return Status::InvalidInput("the Office file is damaged (an unreadable part)");
    }
    if (st.valid & ZIP_STAT_ENCRYPTION_METHOD && st.encryption_method != ZIP_EM_NONE) {
      return Status::Encrypted("the Office file is encrypted",
                               "Save it without a password and submit it again.");
    }
    const uint64_t size = st.valid & ZIP_STAT_SIZE ? st.size : 0;
    total += size;
    if (size > limits.max_entry_bytes || total > limits.max_total_bytes) {
      return Status::TooLarge(
          "the Office file inflates to more than the limit (" +
              std::to_string((size > limits.max_entry_bytes ? limits.max_entry_bytes
                                                            : limits.max_total_bytes) >>
                             20) +
              " MB): a zip bomb, or a file far larger than a draft",
          "If it is genuine, save it as PDF and submit that.");
    }
    out.push_back({st.name, size});
  }
  return out;
}

Result<std::string> ReadEntry(zip_t* z, const std::string& name, uint64_t size) {
  zip_file_t* f = zip_fopen(z, name.c_str(), 0);
  if (!f) return Status::InvalidInput("the Office file is damaged (cannot read " + name + ")");
  std::string data(size, '\0');
  zip_int64_t got = size ? zip_fread(f, data.data(), size) : 0;
  zip_fclose(f);
  if (got < 0 || uint64_t(got) != size) {
    return Status::InvalidInput("the Office file is damaged (" + name + " is cut short)");
  }
  return data;
}

// --- XML ------------------------------------------------------------------------------------

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDoc = std::unique_ptr<xmlDoc, XmlDocFree>;

Result<XmlDoc> ParseXml(const std::string& bytes, const std::string& name) {
  // Office parts never declare a DTD: one that does is an entity bomb or reaches for an
  // external entity, and is refused before the parser sees it.
  if (bytes.find("<!DOCTYPE") != std::string::npos || bytes.find("<!ENTITY") != std::string::npos) {
    return Status::InvalidInput(
        "the Office file's " + name + " declares a DTD (entity expansion or an external entity)",
        "Office files never need one: the file is built to attack "
        "readers. Do not open it.");
  }
  xmlDoc* doc = xmlReadMemory(bytes.data(), int(bytes.size()), name.c_str(), nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return Status::InvalidInput("the Office file's " + name + " is not well-formed XML");
  XmlDoc owned(doc);
  // The same in any encoding (UTF-16 hides "<!DOCTYPE" from the byte search above).
  if (doc->intSubset || doc->extSubset) {
    return Status::InvalidInput("the Office file's " + name + " declares a DTD",
                                "Office files never need one: the file is built to attack "
                                "readers. Do not open it.");
  }
  return owned;
}

std::string Serialize(xmlDoc* doc) {
  xmlChar* buf = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &buf, &size, "UTF-8");
  std::string out(reinterpret_cast<const char*>(buf), size_t(size));
  xmlFree(buf);
  return out;
}

bool Is(const xmlNode* n, const char* ns, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), ns) == 0 &&
         std::strcmp(reinterpret_cast<const char*>(n->name), local) == 0;
}

std::string Attr(const xmlNode* n, const char* ns, const char* local) {
  xmlChar* v = ns ? xmlGetNsProp(n, BAD_CAST local, BAD_CAST ns) : xmlGetProp(n, BAD_CAST local);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string Text(const xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

// Paragraph by paragraph (each on its own line), for text that spans several.
std::string ParagraphText(const xmlNode* n, const char* ns, const char* paragraph) {
  std::string out;
  std::function<void(const xmlNode*)> walk = [&](const xmlNode* x) {
    for (const xmlNode* c = x->children; c; c = c->next) {
      if (Is(c, ns, paragraph)) {
        if (!out.empty()) out += "\n";
        out += Text(c);
      } else {
        walk(c);
      }
    }
  };
  walk(n);
  return out.empty() ? Text(n) : out;
}

void Remove(xmlNode* n) {
  xmlUnlinkNode(n);
  xmlFreeNode(n);
}

// Replaces `n` by its children. Namespaces `n` declares move to its parent first: the
// children may refer to them, and freeing `n` would free them.
void Unwrap(xmlNode* n) {
  if (n->nsDef && n->parent) {
    xmlNs* last = n->nsDef;
    while (last->next) last = last->next;
    last->next = n->parent->nsDef;
    n->parent->nsDef = n->nsDef;
    n->nsDef = nullptr;
  }
  while (xmlNode* c = n->children) {
    xmlUnlinkNode(c);
    xmlAddPrevSibling(n, c);
  }
  Remove(n);
}

// Every element under `root`, in reverse document order: each is visited after all of its
// descendants, so removing or unwrapping it never touches a node still to be visited.
std::vector<xmlNode*> ElementsDeepestLast(xmlNode* root) {
  std::vector<xmlNode*> all;
  std::function<void(xmlNode*)> walk = [&](xmlNode* x) {
    for (xmlNode* c = x->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      all.push_back(c);
      walk(c);
    }
  };
  walk(root);
  return {all.rbegin(), all.rend()};
}

// What a cleaner found, by kind. `where` names the embedded package it was found in, if any.
class Findings {
 public:
  explicit Findings(CleanedPackage* out, std::string where = {})
      : out_(out), where_(where.empty() ? where : "in " + where + ": ") {}
  // Shown in the final document, listed for the audit only.
  void Shown(const std::string& kind, const std::string& text) {
    if (!text.empty()) out_->hidden.push_back({kind, 0, where_ + text});
  }
  // Not shown: listed, and to be found nowhere in the release.
  // Text the cleaned copy still shows.
  void Visible(const std::string& text) { out_->visible += text + "\n"; }
  void Withheld(const std::string& kind, const std::string& text, const std::string& label = {}) {
    if (text.empty()) return;
    out_->hidden.push_back({kind, 0, where_ + (label.empty() ? text : label + ": " + text)});
    out_->withheld.push_back(text);
  }

 private:
  CleanedPackage* out_;
  std::string where_;
};

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// --- DOCX -----------------------------------------------------------------------------------

bool TurnedOn(const xmlNode* flag) {
  const std::string v = Attr(flag, kW, "val");
  return v.empty() || (v != "0" && v != "false" && v != "off");
}

// A run (w:r) formatted as hidden (w:vanish).
bool HiddenRun(const xmlNode* run) {
  for (const xmlNode* c = run->children; c; c = c->next) {
    if (!Is(c, kW, "rPr")) continue;
    for (const xmlNode* p = c->children; p; p = p->next) {
      if (Is(p, kW, "vanish") && TurnedOn(p)) return true;
    }
  }
  return false;
}

// The root elements of WordprocessingML's stories: what a part is, whatever its name.
bool IsWordStory(const xmlNode* root) {
  return Is(root, kW, "document") || Is(root, kW, "hdr") || Is(root, kW, "ftr") ||
         Is(root, kW, "footnotes") || Is(root, kW, "endnotes") || Is(root, kW, "glossaryDocument");
}

// A story of the document (body, header, footer, footnotes, endnotes, building blocks) with
// every change accepted, comments and hidden text taken out.
void CleanWordStory(xmlDoc* doc, Findings* found) {
  xmlNode* root = xmlDocGetRootElement(doc);
  const bool header = Is(root, kW, "hdr");
  const bool footer = Is(root, kW, "ftr");
  if (header || footer) found->Shown(header ? "header" : "footer", ParagraphText(root, kW, "p"));
  std::string field;
  for (xmlNode* n : ElementsDeepestLast(root)) {
    if (Is(n, kW, "del") || Is(n, kW, "moveFrom")) {
      found->Withheld(Is(n, kW, "del") ? "tracked deletion" : "tracked move (old place)", Text(n));
      Remove(n);
    } else if (Is(n, kW, "ins") || Is(n, kW, "moveTo")) {
      found->Shown("tracked insertion", Text(n));
      Unwrap(n);
    } else if (Is(n, kW, "rPrChange") || Is(n, kW, "pPrChange") || Is(n, kW, "sectPrChange") ||
               Is(n, kW, "tblPrChange") || Is(n, kW, "trPrChange") || Is(n, kW, "tcPrChange") ||
               Is(n, kW, "tblGridChange") || Is(n, kW, "numberingChange") || Is(n, kW, "cellIns") ||
               Is(n, kW, "cellDel")) {
      Remove(n);  // the history of formatting changes
    } else if (Is(n, kW, "commentRangeStart") || Is(n, kW, "commentRangeEnd") ||
               Is(n, kW, "commentReference") || Is(n, kW, "annotationRef")) {
      Remove(n);
    } else if (Is(n, kW, "r") && HiddenRun(n)) {
      found->Withheld("hidden text", Text(n));
      Remove(n);
    } else if (Is(n, kW, "instrText")) {
      field = Text(n) + field;  // visited last to first
    } else if (Is(n, kW, "fldChar") && Attr(n, kW, "fldCharType") == "begin" && !field.empty()) {
      found->Withheld("field code", field);
      field.clear();
    } else if (Is(n, kW, "fldSimple")) {
      found->Withheld("field code", Attr(n, kW, "instr"));
    } else if (Is(n, kWp, "docPr")) {
      found->Withheld("alt text", Attr(n, nullptr, "descr"));
      found->Withheld("alt text", Attr(n, nullptr, "title"));
      xmlUnsetProp(n, BAD_CAST "descr");
      xmlUnsetProp(n, BAD_CAST "title");
    }
  }
  if (!field.empty()) found->Withheld("field code", field);
}

void ListWordComments(xmlDoc* doc, Findings* found) {
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
    if (!Is(n, kW, "comment")) continue;
    const std::string author = Attr(n, kW, "author");
    found->Withheld("comment", ParagraphText(n, kW, "p"), author);
    found->Withheld("comment author", author);
    Remove(n);
  }
}

// Relationships to content elsewhere that LibreOffice would fetch (linked pictures, OLE
// links, remote templates) are taken out; hyperlinks, which are never followed, stay. So are
// those to a part `dropped` says is taken out of the package.
void CleanRelationships(xmlDoc* doc, const std::function<bool(const xmlNode*)>& dropped,
                        Findings* found) {
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
    if (!Is(n, kRel, "Relationship")) continue;
    if (Attr(n, nullptr, "TargetMode") != "External") {
      if (dropped(n)) Remove(n);
      continue;
    }
    const std::string type = Attr(n, nullptr, "Type");
    if (type.size() >= 10 && type.compare(type.size() - 10, 10, "/hyperlink") == 0) continue;
    found->Withheld("external link", Attr(n, nullptr, "Target"));
    Remove(n);
  }
}

// A property value that says nothing of the document: a flag, a count, a date or a version
// ("false", "218", "2025-05-08T06:23:00Z", "16.0000"). Listed, but not searched for in the
// release, where PDF syntax has the same words and numbers.
bool SaysNothing(const std::string& value) {
  std::string v;
  for (char c : value) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') v.push_back(char(std::tolower(c)));
  }
  if (v == "true" || v == "false") return true;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '+' || c == 't' ||
           c == 'z';
  });
}

// docProps/core.xml, app.xml, custom.xml: every property with a value.
void ListProperties(xmlDoc* doc, Findings* found) {
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* n : ElementsDeepestLast(root)) {
    if (n->parent != root) continue;
    std::string name = Attr(n, nullptr, "name");
    if (name.empty()) name = reinterpret_cast<const char*>(n->name);
    const std::string value = Text(n);
    if (value.empty()) continue;
    if (SaysNothing(value)) {
      found->Shown("document property", name + ": " + value);
    } else {
      found->Withheld("document property", value, name);
    }
  }
}

// --- OpenDocument ---------------------------------------------------------------------------

// Names of the styles that hide text (text:display="none").
std::set<std::string> HiddenStyles(const std::vector<xmlDoc*>& docs) {
  std::set<std::string> names;
  for (xmlDoc* doc : docs) {
    for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
      if (!Is(n, kStyle, "text-properties") || Attr(n, kText, "display") != "none") continue;
      if (n->parent && Is(n->parent, kStyle, "style")) {
        names.insert(Attr(n->parent, kStyle, "name"));
      }
    }
  }
  return names;
}

bool HasHiddenParagraphMark(const xmlNode* p) {
  for (const xmlNode* c = p->children; c; c = c->next) {
    if (Is(c, kText, "hidden-paragraph") && Attr(c, kText, "is-hidden") == "true") return true;
  }
  return false;
}

bool IsExternalHref(const std::string& href) {
  return StartsWith(href, "http:") || StartsWith(href, "https:") || StartsWith(href, "ftp:") ||
         StartsWith(href, "file:") || StartsWith(href, "/") || StartsWith(href, "\\\\") ||
         StartsWith(href, "smb:") || StartsWith(href, "webdav:");
}

void CleanOdfPart(xmlDoc* doc, const std::set<std::string>& hidden_styles, bool styles_part,
                  Findings* found) {
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
    if (Is(n, kText, "tracked-changes") || Is(n, kTable, "tracked-changes")) {
      for (xmlNode* d : ElementsDeepestLast(n)) {
        if (Is(d, kText, "deletion") || Is(d, kTable, "deletion") ||
            Is(d, kTable, "cell-content-change")) {
          // The change's own metadata (author, date) is not text of the document.
          for (xmlNode* info = d->children; info; info = info->next) {
            if (!Is(info, kOffice, "change-info")) continue;
            std::string who;
            for (xmlNode* c = info->children; c; c = c->next) {
              if (c->type == XML_ELEMENT_NODE) who += (who.empty() ? "" : " ") + Text(c);
            }
            found->Shown("tracked change author", who);
          }
          std::string text;
          for (xmlNode* c = d->children; c; c = c->next) {
            if (!Is(c, kOffice, "change-info")) text += (text.empty() ? "" : "\n") + Text(c);
          }
          found->Withheld("tracked deletion", text);
        }
      }
      Remove(n);
    } else if (Is(n, kText, "change") || Is(n, kText, "change-start") ||
               Is(n, kText, "change-end")) {
      Remove(n);
    } else if (Is(n, kOffice, "annotation")) {
      std::string author, text;
      for (xmlNode* c = n->children; c; c = c->next) {
        if (Is(c, kDc, "creator")) author = Text(c);
        if (Is(c, kText, "p") || Is(c, kText, "list")) text += (text.empty() ? "" : "\n") + Text(c);
      }
      found->Withheld("comment", text, author);
      found->Withheld("comment author", author);
      Remove(n);
    } else if (Is(n, kOffice, "annotation-end")) {
      Remove(n);
    } else if (Is(n, kText, "hidden-text")) {
      std::string text = Text(n);
      if (text.empty()) text = Attr(n, kText, "string-value");
      found->Withheld("hidden text", text);
      Remove(n);
    } else if ((Is(n, kText, "p") || Is(n, kText, "h")) && HasHiddenParagraphMark(n)) {
      found->Withheld("hidden paragraph", Text(n));
      Remove(n);
    } else if (Is(n, kText, "section") &&
               (Attr(n, kText, "display") == "none" || Attr(n, kText, "is-hidden") == "true")) {
      found->Withheld("hidden section", ParagraphText(n, kText, "p"));
      Remove(n);
    } else if (Is(n, kText, "span") && hidden_styles.count(Attr(n, kText, "style-name"))) {
      found->Withheld("hidden text", Text(n));
      Remove(n);
    } else if ((Is(n, kDraw, "image") || Is(n, kDraw, "object") || Is(n, kDraw, "object-ole") ||
                Is(n, kDraw, "plugin")) &&
               IsExternalHref(Attr(n, kXlink, "href"))) {
      found->Withheld("external link", Attr(n, kXlink, "href"));
      xmlUnsetNsProp(n, xmlSearchNsByHref(doc, n, BAD_CAST kXlink), BAD_CAST "href");
    } else if (Is(n, kSvg, "title") || Is(n, kSvg, "desc")) {
      found->Withheld("alt text", Text(n));
      Remove(n);
    } else if (Is(n, kTable, "table-row") && (Attr(n, kTable, "visibility") == "collapse" ||
                                              Attr(n, kTable, "visibility") == "filter")) {
      found->Withheld("hidden row", Text(n));  // not printed; left in place for the formulas
    } else if (Is(n, kTable, "table") && Attr(n, kTable, "display") == "false") {
      found->Withheld("hidden sheet", Text(n), Attr(n, kTable, "name"));
    } else if (styles_part && (Is(n, kStyle, "header") || Is(n, kStyle, "header-left") ||
                               Is(n, kStyle, "header-first"))) {
      found->Shown("header", ParagraphText(n, kText, "p"));
    } else if (styles_part && (Is(n, kStyle, "footer") || Is(n, kStyle, "footer-left") ||
                               Is(n, kStyle, "footer-first"))) {
      found->Shown("footer", ParagraphText(n, kText, "p"));
    }
  }
}

// A document's own settings that would print what it hides, or update links: taken out, so
// LibreOffice's defaults (and our profile's) hold.
void CleanOdfSettings(xmlDoc* doc) {
  static const std::set<std::string> kRisky = {
      "PrintHiddenText", "PrintTextPlaceholder", "PrintAnnotationMode", "PrintNotes",
      "LinkUpdateMode",  "UpdateFromTemplate",   "LoadReadonly"};
  constexpr const char* kConfig = "urn:oasis:names:tc:opendocument:xmlns:config:1.0";
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
    if (Is(n, kConfig, "config-item") && kRisky.count(Attr(n, kConfig, "name"))) Remove(n);
  }
}

void ListOdfMeta(xmlDoc* doc, Findings* found) {
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
    if (!n->parent || !Is(n->parent, kOffice, "meta")) continue;
    std::string name = Attr(n, kMeta, "name");
    if (name.empty()) name = reinterpret_cast<const char*>(n->name);
    const std::string value = Text(n);
    if (value.empty()) continue;
    if (SaysNothing(value)) {
      found->Shown("document property", name + ": " + value);
    } else {
      found->Withheld("document property", value, name);
    }
  }
}

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

std::string Folded(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsZip(const std::string& bytes) { return bytes.rfind("PK\x03\x04", 0) == 0; }

bool IsOle2(const std::string& bytes) {
  return bytes.rfind("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 0) == 0;
}

// A package in a package in a package: deeper is refused (each level is cleaned in memory).
constexpr int kMaxNesting = 3;

// "a > b": part b of the package embedded as part a.
std::string PartPath(const std::string& where, const std::string& part) {
  return where.empty() ? part : where + " > " + part;
}

// --- a package and its parts ------------------------------------------------------------------

// One package: the file itself, or one embedded in it.
struct Package {
  std::unique_ptr<std::string> bytes;  // an embedded package's bytes, which `zip` reads
  Zip zip;
  std::vector<Entry> entries;
  std::map<std::string, size_t> index;         // entries by name
  std::map<std::string, size_t> folded_index;  // by name in ASCII lower case

  // The entry `name` names, or null. Part names are compared without ASCII case, as the Open
  // Packaging Conventions compare them.
  const Entry* Find(const std::string& name) const {
    auto it = index.find(name);
    if (it == index.end()) it = folded_index.find(Folded(name));
    if (it == index.end() || it == folded_index.end()) return nullptr;
    return &entries[it->second];
  }
  Result<std::string> Read(const Entry& e) const { return ReadEntry(zip.get(), e.name, e.size); }
};

Result<Package> OpenPackage(Zip zip, std::unique_ptr<std::string> bytes, const OfficeLimits& limits,
                            uint64_t* inflated) {
  Package p;
  p.bytes = std::move(bytes);
  p.zip = std::move(zip);
  auto entries = Entries(p.zip.get(), limits, inflated);
  if (!entries.ok()) return entries.status();
  p.entries = std::move(*entries);
  for (size_t i = 0; i < p.entries.size(); ++i) {
    p.index.emplace(p.entries[i].name, i);
    p.folded_index.emplace(Folded(p.entries[i].name), i);
  }
  return p;
}

// A part of the cleaned copy: the input's entry `index` as it is, or new bytes.
struct OutPart {
  std::string name;
  zip_uint64_t index = 0;
  std::optional<std::string> bytes;
};

// What all the packages of one file share while they are cleaned.
struct Cleaning {
  OfficeLimits limits;
  uint64_t inflated = 0;  // bytes inflated so far, across the file and what it embeds
};

// A part the cleaner cannot vouch for: the whole file is refused, naming it.
Status Refused(const std::string& part, const std::string& what,
               const std::string& hint =
                   "Copy what it shows into the document itself (or take it out), or save the "
                   "document as PDF and submit that.") {
  return Status::Unsupported("the Office file's " + part + " is " + what +
                                 ", which we cannot clean: what it holds cannot be checked",
                             hint);
}

// --- relationships (Office Open XML) ----------------------------------------------------------

// The last segment of a relationship's type: "officeDocument", "header", "aFChunk", ...
std::string RelKind(const std::string& type) {
  const size_t slash = type.rfind('/');
  return slash == std::string::npos ? type : type.substr(slash + 1);
}

std::string Folder(const std::string& part) {
  const size_t slash = part.rfind('/');
  return slash == std::string::npos ? std::string() : part.substr(0, slash + 1);
}

// The part holding the relationships of `part` ("" for the package itself).
std::string RelsPartOf(const std::string& part) {
  return Folder(part) + "_rels/" + part.substr(Folder(part).size()) + ".rels";
}

// The part whose relationships `rels` holds ("" for the package's own).
std::string SourceOfRels(const std::string& rels) {
  const std::string folder = Folder(rels);  // ".../_rels/"
  const std::string base = rels.substr(folder.size());
  if (folder.size() < 6 || base.size() < 5) return {};
  return folder.substr(0, folder.size() - 6) + base.substr(0, base.size() - 5);
}

// The part a relationship of `source` names by `target`: percent-escapes decoded, "." and
// ".." resolved. Empty if it leaves the package.
std::string ResolveTarget(const std::string& source, const std::string& target) {
  std::string t;
  for (size_t i = 0; i < target.size() && target[i] != '#'; ++i) {
    if (target[i] == '%' && i + 2 < target.size() && std::isxdigit(uint8_t(target[i + 1])) &&
        std::isxdigit(uint8_t(target[i + 2]))) {
      t += char(std::stoi(target.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      t += target[i];
    }
  }
  const std::string path = !t.empty() && t[0] == '/' ? t : Folder(source) + t;
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string segment = path.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (segments.empty()) return {};
      segments.pop_back();
    } else {
      segments.push_back(segment);
    }
  }
  std::string out;
  for (const std::string& s : segments) out += (out.empty() ? "" : "/") + s;
  return out;
}

struct Relationship {
  std::string kind;  // RelKind of its type
  std::string part;  // the entry it names, empty if external or absent
};

// The relationships `rels_part` (a part of `pkg`) holds, internal ones resolved to entries.
Result<std::vector<Relationship>> ReadRelationships(const Package& pkg, const Entry& rels_part) {
  auto bytes = pkg.Read(rels_part);
  if (!bytes.ok()) return bytes.status();
  auto doc = ParseXml(*bytes, rels_part.name);
  if (!doc.ok()) return doc.status();
  const std::string source = SourceOfRels(rels_part.name);
  std::vector<Relationship> out;
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc->get()))) {
    if (!Is(n, kRel, "Relationship")) continue;
    Relationship r{RelKind(Attr(n, nullptr, "Type")), {}};
    if (Attr(n, nullptr, "TargetMode") != "External") {
      if (const Entry* e = pkg.Find(ResolveTarget(source, Attr(n, nullptr, "Target")))) {
        r.part = e->name;
      }
    }
    out.push_back(std::move(r));
  }
  std::reverse(out.begin(), out.end());  // document order
  return out;
}

// How the relationships reached a part: the first relationship that named it.
struct Reach {
  std::string kind;  // its kind ("relationships" for a part of relationships)
  std::string from;  // the part that holds it ("" for the package)
};

// Every part the relationships reach from the package's root, as a reader of the package
// (LibreOffice, Word) finds them: the package's relationships, then each part's own.
Result<std::map<std::string, Reach>> ReachedParts(const Package& pkg) {
  std::map<std::string, Reach> reached;
  std::vector<std::string> todo = {""};
  while (!todo.empty()) {
    const std::string source = todo.back();
    todo.pop_back();
    const Entry* rels = pkg.Find(RelsPartOf(source));
    if (!rels || !reached.emplace(rels->name, Reach{"relationships", source}).second) continue;
    auto relationships = ReadRelationships(pkg, *rels);
    if (!relationships.ok()) return relationships.status();
    for (const Relationship& r : *relationships) {
      if (r.part.empty()) continue;
      if (reached.emplace(r.part, Reach{r.kind, source}).second) todo.push_back(r.part);
    }
  }
  return reached;
}

// The main part the package's relationships name ("officeDocument"), or empty if none.
Result<std::string> MainPart(const Package& pkg) {
  const Entry* rels = pkg.Find("_rels/.rels");
  if (!rels) return std::string();
  auto relationships = ReadRelationships(pkg, *rels);
  if (!relationships.ok()) return relationships.status();
  std::vector<std::string> mains;
  for (const Relationship& r : *relationships) {
    if (r.kind == "officeDocument" && !r.part.empty()) mains.push_back(r.part);
  }
  if (mains.size() > 1) {
    return Status::Unsupported(
        "the Office file names two main documents (" + mains[0] + ", " + mains[1] +
            "): which one a reader sees depends on the program that opens it",
        "Open it in the word processor, save it again and submit that.");
  }
  return mains.empty() ? std::string() : mains[0];
}

// [Content_Types].xml: the media type of each part, by its name or its extension.
class ContentTypes {
 public:
  static Result<ContentTypes> Read(const Package& pkg) {
    ContentTypes types;
    const Entry* e = pkg.Find("[Content_Types].xml");
    if (!e) return types;
    auto bytes = pkg.Read(*e);
    if (!bytes.ok()) return bytes.status();
    auto doc = ParseXml(*bytes, e->name);
    if (!doc.ok()) return doc.status();
    constexpr const char* kTypes = "http://schemas.openxmlformats.org/package/2006/content-types";
    for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc->get()))) {
      if (Is(n, kTypes, "Default")) {
        types.by_extension_[Folded(Attr(n, nullptr, "Extension"))] =
            Attr(n, nullptr, "ContentType");
      } else if (Is(n, kTypes, "Override")) {
        types.by_part_[Folded(ResolveTarget("", Attr(n, nullptr, "PartName")))] =
            Attr(n, nullptr, "ContentType");
      }
    }
    return types;
  }

  std::string Of(const std::string& part) const {
    if (auto it = by_part_.find(Folded(part)); it != by_part_.end()) return it->second;
    const size_t dot = part.rfind('.');
    if (dot == std::string::npos || part.find('/', dot) != std::string::npos) return {};
    auto it = by_extension_.find(Folded(part.substr(dot + 1)));
    return it == by_extension_.end() ? std::string() : it->second;
  }

 private:
  std::map<std::string, std::string> by_part_, by_extension_;
};

OfficeFormat OdfFormat(const Package& pkg) {
  const Entry* e = pkg.Find("mimetype");
  if (!e || e->size > 200) return OfficeFormat::kOtherZip;
  auto m = pkg.Read(*e);
  if (!m.ok()) return OfficeFormat::kOtherZip;
  if (*m == "application/vnd.oasis.opendocument.text") return OfficeFormat::kOdfText;
  if (*m == "application/vnd.oasis.opendocument.spreadsheet") return OfficeFormat::kOdfSpreadsheet;
  if (StartsWith(*m, "application/vnd.oasis.opendocument.")) return OfficeFormat::kOdfOther;
  return OfficeFormat::kOtherZip;
}

// What the package is, as a reader of it finds out: an Office Open XML package by the main
// document its relationships name, else OpenDocument by its media type.
Result<OfficeFormat> FormatOf(const Package& pkg) {
  auto main = MainPart(pkg);
  if (!main.ok()) return main.status();
  if (main->empty()) return OdfFormat(pkg);
  const Entry* e = pkg.Find(*main);
  auto bytes = pkg.Read(*e);
  if (!bytes.ok()) return bytes.status();
  auto doc = ParseXml(*bytes, e->name);
  if (!doc.ok()) return doc.status();
  // A workbook or a presentation, and Strict Open XML (whose elements are in namespaces the
  // cleaner does not know), go to OpenDocument first, like any format we do not clean.
  return Is(xmlDocGetRootElement(doc->get()), kW, "document") ? OfficeFormat::kDocx
                                                              : OfficeFormat::kOtherZip;
}

// A part nothing of the document reaches: it is left out of the cleaned copy, and what it
// says listed (a reader of the package never sees it; one that went by names would).
void ListUnused(const Package& pkg, const Entry& e, Findings* found) {
  std::string text;
  auto bytes = pkg.Read(e);
  if (bytes.ok() && !IsZip(*bytes) && !IsOle2(*bytes)) {
    if (auto doc = ParseXml(*bytes, e.name); doc.ok()) {
      xmlNode* root = xmlDocGetRootElement(doc->get());
      const bool odf = root && root->ns && root->ns->href &&
                       std::strcmp(reinterpret_cast<const char*>(root->ns->href), kOffice) == 0;
      if (root) text = odf ? ParagraphText(root, kText, "p") : ParagraphText(root, kW, "p");
    }
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    found->Shown("unused part", e.name + " (" + std::to_string(e.size) + " bytes)");
  } else {
    found->Withheld("unused part", text, e.name);
  }
}

Result<std::vector<OutPart>> CleanPackage(const Package& pkg, OfficeFormat format,
                                          const std::string& where, int depth, Cleaning* cleaning,
                                          CleanedPackage* out);
Result<std::string> WriteArchive(const Package& in, const std::vector<OutPart>& parts, bool odf,
                                 const std::string& path);

// A package embedded as part `where` (a DOCX or OpenDocument file inside the document):
// cleaned in turn, its findings listed under its name. Any other package is refused.
Result<std::string> CleanEmbedded(const std::string& bytes, const std::string& where, int depth,
                                  Cleaning* cleaning, CleanedPackage* out) {
  if (!IsZip(bytes)) {
    return Refused(where, IsOle2(bytes) ? "an embedded OLE object" : "an embedded object");
  }
  if (depth + 1 >= kMaxNesting) {
    return Refused(where, "a package nested " + std::to_string(depth + 1) + " deep");
  }
  auto owned = std::make_unique<std::string>(bytes);
  auto zip = OpenZipBytes(*owned, where);
  if (!zip.ok()) return zip.status();
  auto pkg = OpenPackage(std::move(*zip), std::move(owned), cleaning->limits, &cleaning->inflated);
  if (!pkg.ok()) return pkg.status();
  auto format = FormatOf(*pkg);
  if (!format.ok()) return format.status();
  if (*format == OfficeFormat::kOtherZip) {
    return Refused(where,
                   "an embedded package of a kind we do not clean (a workbook, a "
                   "presentation, an archive)");
  }
  auto parts = CleanPackage(*pkg, *format, where, depth + 1, cleaning, out);
  if (!parts.ok()) return parts.status();
  return WriteArchive(*pkg, *parts, *format != OfficeFormat::kDocx, "");
}

// --- DOCX -------------------------------------------------------------------------------------

// Relationship kinds whose target is a story or a part of comments, whatever its name says.
bool IsStoryKind(const std::string& kind) {
  static const std::set<std::string> kStories = {"officeDocument",  "header",   "footer",
                                                 "footnotes",       "endnotes", "comments",
                                                 "glossaryDocument"};
  return kStories.count(kind) > 0;
}

bool IsPropertiesKind(const std::string& kind) {
  return kind == "core-properties" || kind == "extended-properties" || kind == "custom-properties";
}

bool InNamespace(const xmlNode* n, const char* ns) {
  return n && n->ns && n->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), ns) == 0;
}

// The parts of a WordprocessingML package the relationships reach, each cleaned by what it
// is (its root element, the relationship that reached it), never by its name; the parts they
// do not reach are left out and listed.
Result<std::vector<OutPart>> CleanDocx(const Package& pkg, const std::string& where, int depth,
                                       Cleaning* cleaning, CleanedPackage* out) {
  Findings found(out, where);
  auto reached = ReachedParts(pkg);
  if (!reached.ok()) return reached.status();
  auto types = ContentTypes::Read(pkg);
  if (!types.ok()) return types.status();
  // What is refused or taken out whole is known first, so that relationships to parts taken
  // out go with them.
  std::set<std::string> dropped;
  for (const auto& [name, reach] : *reached) {
    const std::string part = PartPath(where, name);
    if (reach.kind == "aFChunk") {
      return Refused(part,
                     "an altChunk (content in another format, HTML, RTF or a whole document, "
                     "merged in only when the file is opened)",
                     "Open the file in Word and save it again (the chunk becomes part of the "
                     "document), or save it as PDF and submit that.");
    }
    if (reach.kind == "subDocument") {
      return Refused(part, "a subdocument of a master document",
                     "Open the master document in Word, convert its subdocuments to ordinary "
                     "text and save it, or save it as PDF and submit that.");
    }
    if (reach.kind == "vbaProject") {
      dropped.insert(name);
      found.Shown("macros", name + " (never run; taken out)");
    }
    auto from = reached->find(reach.from);
    if (reach.kind == "package" && from != reached->end() &&
        (from->second.kind == "chart" || from->second.kind == "chartEx")) {
      // LibreOffice draws a chart from the values the chart part keeps; its workbook, with
      // whatever else the workbook holds, is never printed.
      dropped.insert(name);
      found.Shown("embedded object", name + " (a chart's workbook; taken out)");
    }
  }
  auto is_dropped = [&](const std::string& rels_part) {
    const std::string source = SourceOfRels(rels_part);
    return [&, source](const xmlNode* n) {
      const Entry* e = pkg.Find(ResolveTarget(source, Attr(n, nullptr, "Target")));
      return e && dropped.count(e->name) > 0;
    };
  };
  std::vector<OutPart> parts;
  for (size_t i = 0; i < pkg.entries.size(); ++i) {
    const Entry& e = pkg.entries[i];
    if (e.name.empty() || e.name.back() == '/') continue;  // a folder is not a part
    if (e.name == "[Content_Types].xml") {
      parts.push_back({e.name, zip_uint64_t(i), std::nullopt});
      continue;
    }
    auto it = reached->find(e.name);
    if (it == reached->end()) {
      ListUnused(pkg, e, &found);
      continue;
    }
    if (dropped.count(e.name)) continue;
    const Reach& reach = it->second;
    auto bytes = pkg.Read(e);
    if (!bytes.ok()) return bytes.status();
    const std::string type = types->Of(e.name);
    const bool xml = EndsWith(Folded(e.name), ".xml") || EndsWith(Folded(e.name), ".rels") ||
                     (EndsWith(type, "xml") && !StartsWith(type, "image/")) ||
                     IsStoryKind(reach.kind);
    std::optional<std::string> replaced;
    if (xml) {
      auto doc = ParseXml(*bytes, PartPath(where, e.name));
      if (!doc.ok()) return doc.status();
      xmlNode* root = xmlDocGetRootElement(doc->get());
      if (InNamespace(root, kRel)) {
        CleanRelationships(doc->get(), is_dropped(e.name), &found);
      } else if (Is(root, kW, "comments")) {
        ListWordComments(doc->get(), &found);
      } else if (InNamespace(root, kW)) {
        // Any WordprocessingML part, a story or not: a tracked deletion is taken out wherever
        // it is.
        CleanWordStory(doc->get(), &found);
        const std::string text = ParagraphText(root, kW, "p");
        if (Is(root, kW, "glossaryDocument")) {
          found.Withheld("building block", text);  // kept for reuse, never printed
        } else if (IsWordStory(root) || IsStoryKind(reach.kind)) {
          found.Visible(text);
        }
      } else if (IsPropertiesKind(reach.kind) || StartsWith(e.name, "docProps/")) {
        ListProperties(doc->get(), &found);
        doc->reset();
      } else {
        doc->reset();
      }
      if (*doc) replaced = Serialize(doc->get());
    } else if (IsZip(*bytes) || IsOle2(*bytes) || reach.kind == "oleObject" ||
               reach.kind == "package") {
      auto cleaned = CleanEmbedded(*bytes, PartPath(where, e.name), depth, cleaning, out);
      if (!cleaned.ok()) return cleaned.status();
      replaced = std::move(*cleaned);
      found.Shown("embedded object", e.name + " (" + std::to_string(e.size) + " bytes, cleaned)");
    }
    parts.push_back({e.name, zip_uint64_t(i), std::move(replaced)});
  }
  return parts;
}

// --- OpenDocument -----------------------------------------------------------------------------

constexpr const char* kManifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

// The parts of an OpenDocument package its manifest lists, each folder holding a content.xml
// or styles.xml (the document, and each embedded object: "Object 1/") cleaned as a document;
// what the manifest does not list is left out and listed.
Result<std::vector<OutPart>> CleanOdf(const Package& pkg, const std::string& where, int depth,
                                      Cleaning* cleaning, CleanedPackage* out) {
  Findings found(out, where);
  const Entry* manifest = pkg.Find("META-INF/manifest.xml");
  if (!manifest || manifest->name != "META-INF/manifest.xml") {
    return Status::InvalidInput(
        "the OpenDocument file" + (where.empty() ? "" : " " + where) +
            " has no manifest (META-INF/manifest.xml): which parts are the document cannot be told",
        "Open it in the word processor, save it again and submit that.");
  }
  auto manifest_bytes = pkg.Read(*manifest);
  if (!manifest_bytes.ok()) return manifest_bytes.status();
  if (manifest_bytes->find("encryption-data") != std::string::npos) {
    return Status::Encrypted("the OpenDocument file is password-protected",
                             "Save it without a password and submit it again.");
  }
  auto manifest_doc = ParseXml(*manifest_bytes, PartPath(where, manifest->name));
  if (!manifest_doc.ok()) return manifest_doc.status();
  std::set<std::string> listed = {"mimetype", "META-INF/manifest.xml"};
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(manifest_doc->get()))) {
    if (!Is(n, kManifest, "file-entry")) continue;
    std::string path = Attr(n, kManifest, "full-path");
    if (StartsWith(path, "./")) path = path.substr(2);
    if (!path.empty() && path != "/") listed.insert(path);
  }
  // Styles that hide text, per document (the package's own, each object's), known before any
  // part is cleaned.
  std::map<std::string, std::set<std::string>> hidden_styles;
  for (const Entry& e : pkg.entries) {
    const std::string folder = Folder(e.name), base = e.name.substr(folder.size());
    if ((base != "content.xml" && base != "styles.xml") || !listed.count(e.name)) continue;
    auto bytes = pkg.Read(e);
    if (!bytes.ok()) return bytes.status();
    auto doc = ParseXml(*bytes, PartPath(where, e.name));
    if (!doc.ok()) return doc.status();
    for (const std::string& s : HiddenStyles({doc->get()})) hidden_styles[folder].insert(s);
  }
  std::vector<OutPart> parts;
  for (size_t i = 0; i < pkg.entries.size(); ++i) {
    const Entry& e = pkg.entries[i];
    if (e.name.empty() || e.name.back() == '/') {
      parts.push_back({e.name, zip_uint64_t(i), std::nullopt});  // a folder holds nothing
      continue;
    }
    if (!listed.count(e.name)) {
      ListUnused(pkg, e, &found);
      continue;
    }
    if (StartsWith(e.name, "Object ") || StartsWith(e.name, "ObjectReplacements/")) {
      found.Shown("embedded object", e.name + " (" + std::to_string(e.size) + " bytes)");
    }
    auto bytes = pkg.Read(e);
    if (!bytes.ok()) return bytes.status();
    const std::string folder = Folder(e.name), base = e.name.substr(folder.size());
    std::optional<std::string> replaced;
    if (EndsWith(Folded(e.name), ".xml")) {
      auto doc = ParseXml(*bytes, PartPath(where, e.name));
      if (!doc.ok()) return doc.status();
      if (base == "content.xml" || base == "styles.xml") {
        CleanOdfPart(doc->get(), hidden_styles[folder], base == "styles.xml", &found);
        found.Visible(ParagraphText(xmlDocGetRootElement(doc->get()), kText, "p"));
        replaced = Serialize(doc->get());
      } else if (base == "settings.xml") {
        CleanOdfSettings(doc->get());
        replaced = Serialize(doc->get());
      } else if (base == "meta.xml") {
        ListOdfMeta(doc->get(), &found);
      }
    } else if (IsZip(*bytes) || IsOle2(*bytes)) {
      auto cleaned = CleanEmbedded(*bytes, PartPath(where, e.name), depth, cleaning, out);
      if (!cleaned.ok()) return cleaned.status();
      replaced = std::move(*cleaned);
    }
    parts.push_back({e.name, zip_uint64_t(i), std::move(replaced)});
  }
  return parts;
}

Result<std::vector<OutPart>> CleanPackage(const Package& pkg, OfficeFormat format,
                                          const std::string& where, int depth, Cleaning* cleaning,
                                          CleanedPackage* out) {
  if (format == OfficeFormat::kDocx) return CleanDocx(pkg, where, depth, cleaning, out);
  return CleanOdf(pkg, where, depth, cleaning, out);
}

struct SourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};

// The cleaned copy, `parts` in order: written to `path` (which must not exist), or, when
// `path` is empty, made in memory and returned.
Result<std::string> WriteArchive(const Package& in, const std::vector<OutPart>& parts, bool odf,
                                 const std::string& path) {
  std::unique_ptr<zip_source_t, SourceFree> memory;  // outlives the archive written into it
  Zip out_zip;
  if (path.empty()) {
    zip_error_t error;
    zip_error_init(&error);
    memory.reset(zip_source_buffer_create(nullptr, 0, 0, &error));
    zip_t* z = memory ? zip_open_from_source(memory.get(), ZIP_TRUNCATE, &error) : nullptr;
    zip_error_fini(&error);
    if (!z) return Status::Engine("libzip could not make a package in memory");
    zip_source_keep(memory.get());  // the archive's reference; `memory` keeps ours
    out_zip.reset(z);
  } else {
    int error = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_EXCL, &error);
    if (!z) {
      return Status::Io("cannot create " + path + " (zip error " + std::to_string(error) + ")");
    }
    out_zip.reset(z);
  }
  zip_t* out = out_zip.get();
  for (const OutPart& p : parts) {
    zip_source_t* src = p.bytes ? zip_source_buffer(out, p.bytes->data(), p.bytes->size(), 0)
                                : zip_source_zip(out, in.zip.get(), p.index, 0, 0, -1);
    if (!src) return Status::Engine("libzip could not read " + p.name);
    const zip_int64_t added = zip_file_add(out, p.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (added < 0) {
      zip_source_free(src);
      return Status::Engine("libzip could not write " + p.name);
    }
    // OpenDocument's first entry, the media type, is stored uncompressed.
    if (odf && p.name == "mimetype") {
      zip_set_file_compression(out, zip_uint64_t(added), ZIP_CM_STORE, 0);
    }
  }
  zip_t* done = out_zip.release();
  if (zip_close(done) != 0) {
    std::string why = zip_strerror(done);
    zip_discard(done);
    return Status::Io("cannot write the cleaned copy" + (path.empty() ? "" : " " + path) + ": " +
                      why);
  }
  if (!memory) return std::string();
  std::string bytes;
  if (zip_source_open(memory.get()) < 0) return Status::Engine("libzip lost a package in memory");
  char buf[1 << 16];
  zip_int64_t n;
  while ((n = zip_source_read(memory.get(), buf, sizeof buf)) > 0) bytes.append(buf, size_t(n));
  zip_source_close(memory.get());
  if (n < 0) return Status::Engine("libzip lost a package in memory");
  return bytes;
}

}  // namespace

Result<OfficeFormat> OfficePackageFormat(const std::string& path, const OfficeLimits& limits) {
  auto zip = OpenZip(path);
  if (!zip.ok()) return zip.status();
  uint64_t inflated = 0;
  auto pkg = OpenPackage(std::move(*zip), nullptr, limits, &inflated);
  if (!pkg.ok()) return pkg.status();
  return FormatOf(*pkg);
}

Result<CleanedPackage> CleanOfficePackage(const std::string& path, const std::string& out_path,
                                          const OfficeLimits& limits) {
  Cleaning cleaning{limits};
  auto zip = OpenZip(path);
  if (!zip.ok()) return zip.status();
  auto pkg = OpenPackage(std::move(*zip), nullptr, limits, &cleaning.inflated);
  if (!pkg.ok()) return pkg.status();
  auto format = FormatOf(*pkg);
  if (!format.ok()) return format.status();
  CleanedPackage cleaned;
  cleaned.format = *format;
  auto parts = CleanPackage(*pkg, cleaned.format, "", 0, &cleaning, &cleaned);
  if (!parts.ok()) return parts.status();
  auto written = WriteArchive(*pkg, *parts, cleaned.format != OfficeFormat::kDocx, out_path);
  if (!written.ok()) return written.status();
  return cleaned;
}

}  // namespace redact
