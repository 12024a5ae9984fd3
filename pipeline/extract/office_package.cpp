#include "pipeline/extract/office_package.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

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

Result<Zip> OpenZip(const std::string& path) {
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, error);
    std::string why = zip_error_strerror(&e);
    zip_error_fini(&e);
    return Status::InvalidInput(
        "the Office file is damaged (not a complete zip archive: " + why + ")",
        "Open it in the word processor, save it again and submit that.");
  }
  return Zip(z);
}

// Every entry, checked against the limits before anything is inflated.
Result<std::vector<Entry>> Entries(zip_t* z, const OfficeLimits& limits) {
  const zip_int64_t n = zip_get_num_entries(z, 0);
  if (n < 0 || n > limits.max_entries) {
    return Status::TooLarge("the Office file holds " + std::to_string(n) +
                            " parts, over the limit of " + std::to_string(limits.max_entries));
  }
  std::vector<Entry> out;
  uint64_t total = 0;
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

// What a cleaner found, by kind.
class Findings {
 public:
  explicit Findings(CleanedPackage* out) : out_(out) {}
  // Shown in the final document, listed for the audit only.
  void Shown(const std::string& kind, const std::string& text) {
    if (!text.empty()) out_->hidden.push_back({kind, 0, text});
  }
  // Not shown: listed, and to be found nowhere in the release.
  // Text the cleaned copy still shows.
  void Visible(const std::string& text) { out_->visible += text + "\n"; }
  void Withheld(const std::string& kind, const std::string& text, const std::string& label = {}) {
    if (text.empty()) return;
    out_->hidden.push_back({kind, 0, label.empty() ? text : label + ": " + text});
    out_->withheld.push_back(text);
  }

 private:
  CleanedPackage* out_;
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

// A story of the document (body, header, footer, footnotes, endnotes) with every change
// accepted, comments and hidden text taken out.
void CleanWordStory(xmlDoc* doc, const std::string& part, Findings* found) {
  const bool header = part.find("/header") != std::string::npos;
  const bool footer = part.find("/footer") != std::string::npos;
  xmlNode* root = xmlDocGetRootElement(doc);
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
// links, remote templates) are taken out; hyperlinks, which are never followed, stay.
void CleanRelationships(xmlDoc* doc, Findings* found) {
  for (xmlNode* n : ElementsDeepestLast(xmlDocGetRootElement(doc))) {
    if (!Is(n, kRel, "Relationship") || Attr(n, nullptr, "TargetMode") != "External") continue;
    const std::string type = Attr(n, nullptr, "Type");
    if (type.size() >= 10 && type.compare(type.size() - 10, 10, "/hyperlink") == 0) continue;
    found->Withheld("external link", Attr(n, nullptr, "Target"));
    Remove(n);
  }
}

// docProps/core.xml, app.xml, custom.xml: every property with a value.
void ListProperties(xmlDoc* doc, Findings* found) {
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* n : ElementsDeepestLast(root)) {
    if (n->parent != root) continue;
    std::string name = Attr(n, nullptr, "name");
    if (name.empty()) name = reinterpret_cast<const char*>(n->name);
    const std::string value = Text(n);
    if (!value.empty()) found->Withheld("document property", value, name);
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
    if (!value.empty()) found->Withheld("document property", value, name);
  }
}

OfficeFormat FormatOf(zip_t* z, const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    if (e.name != "word/document.xml") continue;
    // Strict Open XML names its elements in other namespaces, which the cleaner does not
    // know: such a file goes to OpenDocument first, like any format we do not clean.
    auto head = ReadEntry(z, e.name, std::min<uint64_t>(e.size, 4096));
    if (head.ok() && head->find("purl.oclc.org/ooxml/wordprocessingml") != std::string::npos) {
      return OfficeFormat::kOtherZip;
    }
    return OfficeFormat::kDocx;
  }
  for (const Entry& e : entries) {
    if (e.name != "mimetype" || e.size > 200) continue;
    auto m = ReadEntry(z, e.name, e.size);
    if (!m.ok()) break;
    if (*m == "application/vnd.oasis.opendocument.text") return OfficeFormat::kOdfText;
    if (*m == "application/vnd.oasis.opendocument.spreadsheet") {
      return OfficeFormat::kOdfSpreadsheet;
    }
    if (StartsWith(*m, "application/vnd.oasis.opendocument.")) return OfficeFormat::kOdfOther;
  }
  return OfficeFormat::kOtherZip;
}

bool IsWordStory(const std::string& name) {
  return name == "word/document.xml" || name == "word/footnotes.xml" ||
         name == "word/endnotes.xml" ||
         (StartsWith(name, "word/header") && name.size() > 15 &&
          name.compare(name.size() - 4, 4, ".xml") == 0) ||
         (StartsWith(name, "word/footer") && name.size() > 15 &&
          name.compare(name.size() - 4, 4, ".xml") == 0);
}

// The new bytes of part `name` of a `format` package, or nullopt to copy it as it is.
Result<std::optional<std::string>> CleanPart(const std::string& name, const std::string& bytes,
                                             OfficeFormat format,
                                             const std::set<std::string>& hidden_styles,
                                             Findings* found) {
  const bool docx = format == OfficeFormat::kDocx;
  const bool xml = name.size() > 4 && (name.compare(name.size() - 4, 4, ".xml") == 0 ||
                                       name.compare(name.size() - 5, 5, ".rels") == 0);
  if (!xml) return std::optional<std::string>();
  auto doc = ParseXml(bytes, name);
  if (!doc.ok()) return doc.status();
  if (docx && IsWordStory(name)) {
    CleanWordStory(doc->get(), name, found);
    found->Visible(ParagraphText(xmlDocGetRootElement(doc->get()), kW, "p"));
  } else if (docx && name == "word/comments.xml") {
    ListWordComments(doc->get(), found);
  } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".rels") == 0) {
    CleanRelationships(doc->get(), found);
  } else if (docx && StartsWith(name, "docProps/")) {
    ListProperties(doc->get(), found);
    return std::optional<std::string>();
  } else if (!docx && (name == "content.xml" || name == "styles.xml")) {
    CleanOdfPart(doc->get(), hidden_styles, name == "styles.xml", found);
    found->Visible(ParagraphText(xmlDocGetRootElement(doc->get()), kText, "p"));
  } else if (!docx && name == "settings.xml") {
    CleanOdfSettings(doc->get());
  } else if (!docx && name == "meta.xml") {
    ListOdfMeta(doc->get(), found);
    return std::optional<std::string>();
  } else {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(Serialize(doc->get()));
}

}  // namespace

Result<OfficeFormat> OfficePackageFormat(const std::string& path, const OfficeLimits& limits) {
  auto zip = OpenZip(path);
  if (!zip.ok()) return zip.status();
  auto entries = Entries(zip->get(), limits);
  if (!entries.ok()) return entries.status();
  return FormatOf(zip->get(), *entries);
}

Result<CleanedPackage> CleanOfficePackage(const std::string& path, const std::string& out_path,
                                          const OfficeLimits& limits) {
  auto in = OpenZip(path);
  if (!in.ok()) return in.status();
  auto entries = Entries(in->get(), limits);
  if (!entries.ok()) return entries.status();
  CleanedPackage cleaned;
  cleaned.format = FormatOf(in->get(), *entries);
  Findings found(&cleaned);
  const bool odf = cleaned.format != OfficeFormat::kDocx;
  // Styles that hide text are known before any part is cleaned.
  std::set<std::string> hidden_styles;
  if (odf) {
    std::vector<XmlDoc> style_docs;
    for (const Entry& e : *entries) {
      if (e.name == "META-INF/manifest.xml") {
        auto bytes = ReadEntry(in->get(), e.name, e.size);
        if (bytes.ok() && bytes->find("encryption-data") != std::string::npos) {
          return Status::Encrypted("the OpenDocument file is password-protected",
                                   "Save it without a password and submit it again.");
        }
      }
      if (e.name != "content.xml" && e.name != "styles.xml") continue;
      auto bytes = ReadEntry(in->get(), e.name, e.size);
      if (!bytes.ok()) return bytes.status();
      auto doc = ParseXml(*bytes, e.name);
      if (!doc.ok()) return doc.status();
      style_docs.push_back(std::move(*doc));
    }
    std::vector<xmlDoc*> raw;
    for (XmlDoc& d : style_docs) raw.push_back(d.get());
    hidden_styles = HiddenStyles(raw);
  }
  int error = 0;
  zip_t* out = zip_open(out_path.c_str(), ZIP_CREATE | ZIP_EXCL, &error);
  if (!out)
    return Status::Io("cannot create " + out_path + " (zip error " + std::to_string(error) + ")");
  Zip out_zip(out);
  std::vector<std::unique_ptr<std::string>> buffers;  // alive until the archive is written
  for (size_t i = 0; i < entries->size(); ++i) {
    const Entry& e = (*entries)[i];
    if (StartsWith(e.name, "word/embeddings/") || StartsWith(e.name, "Object ") ||
        StartsWith(e.name, "ObjectReplacements/")) {
      found.Shown("embedded object", e.name + " (" + std::to_string(e.size) + " bytes)");
    }
    std::optional<std::string> replaced;
    if (!e.name.empty() && e.name.back() != '/') {
      auto bytes = ReadEntry(in->get(), e.name, e.size);
      if (!bytes.ok()) return bytes.status();
      auto part = CleanPart(e.name, *bytes, cleaned.format, hidden_styles, &found);
      if (!part.ok()) return part.status();
      replaced = std::move(*part);
    }
    zip_source_t* src;
    if (replaced) {
      buffers.push_back(std::make_unique<std::string>(std::move(*replaced)));
      src = zip_source_buffer(out, buffers.back()->data(), buffers.back()->size(), 0);
    } else {
      src = zip_source_zip(out, in->get(), zip_uint64_t(i), 0, 0, -1);
    }
    if (!src) return Status::Engine("libzip could not read " + e.name);
    const zip_int64_t added = zip_file_add(out, e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (added < 0) {
      zip_source_free(src);
      return Status::Engine("libzip could not write " + e.name);
    }
    // OpenDocument's first entry, the media type, is stored uncompressed.
    if (odf && e.name == "mimetype")
      zip_set_file_compression(out, zip_uint64_t(added), ZIP_CM_STORE, 0);
  }
  zip_t* done = out_zip.release();
  if (zip_close(done) != 0) {
    std::string why = zip_strerror(done);
    zip_discard(done);
    return Status::Io("cannot write the cleaned copy " + out_path + ": " + why);
  }
  return cleaned;
}

}  // namespace redact
