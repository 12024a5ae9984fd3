#include "pipeline/review/review_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "pipeline/audit/audit_log.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/detect/detect.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/image/leptonica.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/report/report.h"
#include "pipeline/review/review_app.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One document as the audit log last recorded it.
struct DocView {
  json record;
  std::string input, input_path, sha256, release_pdf;  // release_pdf: under OUT, or empty
  std::string release_text;  // a text document's release (or a PDF's sidecar), under OUT
  std::string release_name;  // its name under release/ (the daemon numbers a second of a name)
  std::string archived;      // the daemon's copy of the input, under OUT (its inbox copy is gone)
  int pages = 0;
};

// Which document a record is: its release name (unique in OUT: the daemon's second
// response.pdf is response.2.pdf), else its input path.
std::string DocumentKey(const json& r) {
  const std::string name = r.value("release_name", "");
  return name.empty() ? "input:" + r.value("input", "") : name;
}

// Past any document's page count (the batch's --max-pages is far below): a page number above
// it is refused rather than carried into decisions.toml.
constexpr int64_t kMaxPageNumber = 100000;

// What the application shows and changes; every handler takes the lock.
class ReviewState {
 public:
  explicit ReviewState(const ReviewOptions& o) : options_(o) {}

  // Reads the audit log (the last record of each document) and the decisions file.
  Status Load() {
    const std::string audit = (fs::path(options_.out) / "audit" / "audit.jsonl").string();
    std::ifstream in(audit);
    if (!in) {
      return Status::InvalidInput(options_.out + " holds no audit log (" + audit + ")",
                                  "Give the OUT of a redact batch or redact watch run.");
    }
    // A document is its release: two files of one name that the daemon released as
    // response.pdf and response.2.pdf are two documents (DocumentKey).

    // The records say which files to open and show (input_path): a forged one could name any
    // file this user can read. Only a log that verifies is served.
    ChainCheck check = VerifyAuditChain(audit);
    if (!check.intact) {
      return Status::Tampered("the audit log " + audit + " does not verify: " + check.message,
                              "Nothing is served from a log that was edited; check it with "
                              "redact audit verify.");
    }
    std::error_code ec;
    if (!options_.audit_key.empty() && fs::exists(AuditAnchorPath(audit), ec)) {
      if (Status s = CheckAuditAnchor(audit, check, options_.audit_key); !s.ok()) {
        return Status::Tampered(s.message(),
                                "Nothing is served from a log that was edited; "
                                "check it with redact audit verify --key-file.");
      }
    }
    std::map<std::string, json> last;
    std::string line;
    while (std::getline(in, line)) {
      json r = json::parse(line, nullptr, false);
      if (!r.is_object() || r.value("event", "") != "document") continue;
      json& slot = last[DocumentKey(r)];
      // Run again from a copy (the review's apply of a daemon's document): its draft is still
      // the archived one.
      if (slot.is_object() && !r.contains("archived") && slot.contains("archived") &&
          slot.value("sha256", "") == r.value("sha256", "")) {
        r["archived"] = slot["archived"];
      }
      slot = std::move(r);
    }
    docs_.clear();
    for (auto& [key, record] : last) {
      DocView d;
      d.record = std::move(record);
      d.input = d.record.value("input", "");
      d.input_path = d.record.value("input_path", "");
      d.sha256 = d.record.value("sha256", "");
      d.pages = d.record.value("pages", 0);
      d.archived = d.record.value("archived", "");
      d.release_name = d.record.value("release_name", "");
      for (const json& o : d.record.value("outputs", json::array())) {
        const std::string p = o.value("path", "");
        if (p.size() > 4 && p.compare(p.size() - 4, 4, ".pdf") == 0) d.release_pdf = p;
        if (p.size() > 4 && p.compare(p.size() - 4, 4, ".txt") == 0 && p.find("quarantine/") != 0) {
          d.release_text = p;
        }
      }
      // A crafted log must not lead outside OUT or the staging folder.
      if (!CleanRelative(d.input)) continue;
      if (!d.release_pdf.empty() && !CleanRelative(d.release_pdf)) d.release_pdf.clear();
      if (!d.release_text.empty() && !CleanRelative(d.release_text)) d.release_text.clear();
      if (!d.archived.empty() && !CleanRelative(d.archived)) d.archived.clear();
      docs_.push_back(std::move(d));
    }
    ec.clear();
    loaded_size_ = fs::file_size(audit, ec);
    return LoadDecisions();
  }

  // The daemon's documents taken since the page loaded, read in when no change waits to be
  // applied (the page's numbers for documents then stay what they were until Apply).
  Status RefreshIfIdle() {
    if (!changed_.empty() || changed_all_) return Status::Ok();
    std::error_code ec;
    const auto size = fs::file_size(fs::path(options_.out) / "audit" / "audit.jsonl", ec);
    if (ec || size == loaded_size_) return Status::Ok();
    png_.clear();
    readers_.clear();
    texts_.clear();
    return Load();
  }

  Status LoadDecisions() {
    decisions_ = DecisionSet();
    if (!fs::exists(DecisionsPath())) return Status::Ok();
    auto loaded = redact::LoadDecisions(DecisionsPath());
    if (!loaded.ok()) return loaded.status();
    decisions_ = std::move(*loaded);
    return Status::Ok();
  }

  // Who decides when the page names nobody: --reviewer, else the login name.
  std::string Reviewer(const json& req) const {
    std::string who = req.value("reviewer", "");
    if (who.empty()) who = options_.reviewer;
    if (who.empty()) {
      if (const struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) who = pw->pw_name;
    }
    return who;
  }

  std::string DecisionsPath() const {
    return (fs::path(options_.out) / "audit" / "decisions.toml").string();
  }

  // The state the page draws: documents, findings, hidden content, the reviewer's entries.
  json StateJson() const {
    json docs = json::array();
    for (size_t i = 0; i < docs_.size(); ++i) {
      const DocView& d = docs_[i];
      json findings = json::array();
      for (const json& f : d.record.value("findings", json::array())) {
        json g = f;
        const Decision* dec = decisions_.Find(d.input, d.sha256, f.value("fingerprint", ""), false);
        g["pending"] = dec ? dec->decision : "";
        g["pending_note"] = dec ? dec->note : "";
        if (dec && !dec->decision.empty()) g["pending_exemption"] = dec->exemption;
        findings.push_back(std::move(g));
      }
      docs.push_back({{"id", i},
                      {"input", d.input},
                      {"input_path", d.input_path},
                      {"release_name", d.release_name},
                      {"kind", d.record.value("kind", "")},
                      {"release_text", d.release_text},
                      {"sha256", d.sha256},
                      {"status", d.record.value("status", "")},
                      {"error", d.record.value("error", json())},
                      {"pages", d.pages},
                      {"open_flags", d.record.value("open_flags", 0)},
                      {"release", d.release_pdf},
                      {"draft_view", Viewable(d)},
                      {"findings", findings},
                      {"hidden", d.record.value("hidden_content", json::array())},
                      {"page_info", d.record.value("page_info", json::array())}});
    }
    json manual = json::array();
    for (size_t i = 0; i < decisions_.manual.size(); ++i) {
      const ManualRedaction& m = decisions_.manual[i];
      json j = {{"index", i},
                {"kind", m.kind == ManualKind::kText   ? "text"
                         : m.kind == ManualKind::kArea ? "area"
                                                       : "page"},
                {"document", m.scope.Every() ? "*" : m.scope.document},
                {"sha256", m.scope.sha256},
                {"text", m.text},
                {"page", m.page},
                {"occurrence", m.occurrence},
                {"exemption", m.exemption},
                {"note", m.note},
                {"reviewer", m.reviewer}};
      if (m.kind == ManualKind::kArea) j["area"] = {m.area.x0, m.area.y0, m.area.x1, m.area.y1};
      manual.push_back(std::move(j));
    }
    json bulk = json::array();
    for (size_t i = 0; i < decisions_.bulk.size(); ++i) {
      const BulkDecision& b = decisions_.bulk[i];
      bulk.push_back({{"index", i},
                      {"document", b.scope.Every() ? "*" : b.scope.document},
                      {"rule", b.rule},
                      {"text", b.text},
                      {"decision", b.decision},
                      {"note", b.note},
                      {"reviewer", b.reviewer}});
    }
    return {{"out", options_.out},        {"reviewer", options_.reviewer},
            {"dpi", options_.dpi},        {"documents", docs},
            {"manual", manual},           {"bulk", bulk},
            {"changed", changed_.size()}, {"changed_all", changed_all_}};
  }

  // A page of a document as PNG: the draft (as the pipeline read it) or the release.
  Result<std::string> PagePng(size_t doc, int page, bool release) {
    if (doc >= docs_.size()) return Status::InvalidInput("no such document");
    const DocView& d = docs_[doc];
    const std::string key = std::to_string(doc) + (release ? "r" : "d") + std::to_string(page) +
                            "@" + d.release_pdf + d.sha256;
    if (auto it = png_.find(key); it != png_.end()) return it->second;
    Result<GrayImage> raster = Status::InvalidInput("no page");
    if (release) {
      if (d.release_pdf.empty()) return Status::InvalidInput("no release PDF");
      auto pdf = PdfDocument::Open((fs::path(options_.out) / d.release_pdf).string());
      if (!pdf.ok()) return pdf.status();
      if (page < 1 || page > (*pdf)->page_count()) return Status::InvalidInput("no such page");
      raster = (*pdf)->RenderPage(page, options_.dpi);
    } else {
      auto reader = Reader(doc);
      if (!reader.ok()) return reader.status();
      if (page < 1 || page > (*reader)->page_count()) return Status::InvalidInput("no such page");
      raster = (*reader)->ReleaseRaster(page, Info(d, page));
    }
    if (!raster.ok()) return raster.status();
    auto png = ThumbnailPng(*raster, raster->width, {});
    if (!png.ok()) return png.status();
    png_[key] = *png;
    return *png;
  }

  // Every occurrence of `term` in the drafts: document, page, boxes, the text around it.
  Result<json> Search(const std::string& term) {
    json hits = json::array();
    if (NormalizeForMatch(term).empty()) return hits;
    for (size_t i = 0; i < docs_.size(); ++i) {
      if (!Viewable(docs_[i])) continue;
      for (int p = 1; p <= docs_[i].pages; ++p) {
        auto text = PageTextOf(i, p);
        if (!text.ok()) break;
        auto found = LiteralFindings(**text, term, "manual.text", 1.0);
        if (!found.ok()) return found.status();
        int n = 0;
        for (const Finding& f : *found) {
          json boxes = json::array();
          for (const Box& b : f.boxes) boxes.push_back({b.x0, b.y0, b.x1, b.y1});
          const std::string& t = (**text).text;
          const size_t cb = f.begin > 40 ? f.begin - 40 : 0;
          const size_t ce = std::min(t.size(), f.end + 40);
          hits.push_back({{"doc", i},
                          {"input", docs_[i].input},
                          {"page", p},
                          {"occurrence", ++n},
                          {"text", f.text},
                          {"before", Utf8Clean(t.substr(cb, f.begin - cb))},
                          {"after", Utf8Clean(t.substr(f.end, ce - f.end))},
                          {"boxes", boxes}});
        }
      }
    }
    return hits;
  }

  // One change from the page, written to the decisions file at once.
  Status Decide(const json& req) {
    // The file as it is now (the daemon adds the documents it takes, another reviewer decides),
    // changed and written back under the lock they take too.
    const FileLock lock((fs::path(options_.out) / "audit").string());
    if (Status s = LoadDecisions(); !s.ok()) return s;
    const std::string type = req.value("type", "");
    Status s = Status::Ok();
    if (type == "finding") {
      s = DecideFinding(req);
    } else if (type == "bulk") {
      s = DecideInBulk(req);
    } else if (type == "text" || type == "area" || type == "page") {
      s = RedactByHand(req, type);
    } else if (type == "remove-manual" || type == "remove-bulk") {
      s = RemoveEntry(req, type);
    } else {
      s = Status::InvalidInput("unknown change: " + type);
    }
    if (!s.ok()) return s;
    return Save();
  }

  // The documents a change is about: one, by its number (and content), or every one ("*").
  Status ScopeOf(const json& req, DocumentScope* scope) {
    if (req.value("doc", json()).is_string() && req["doc"] == "*") {
      *scope = {"*", ""};
      changed_all_ = true;
      return Status::Ok();
    }
    // A whole number naming a document: 2.9, 1e30 or -1 name none.
    const json doc = req.value("doc", json());
    if (!doc.is_number_unsigned() && !(doc.is_number_integer() && doc.get<int64_t>() >= 0)) {
      return Status::InvalidInput("doc must be a document's number or \"*\"");
    }
    const size_t i = doc.get<size_t>();
    if (i >= docs_.size()) return Status::InvalidInput("no such document");
    // The page names the document by its number and its content: a list read again since
    // (the daemon took more) must not turn a decision onto another document.
    if (req.contains("sha256") && req.value("sha256", "") != docs_[i].sha256) {
      return Status::InvalidInput("the list of documents has changed: reload the page");
    }
    *scope = {docs_[i].input, docs_[i].sha256};
    changed_.insert(i);
    return Status::Ok();
  }

  // A reviewer's decision on one finding: keep, redact, or undecided again.
  Status DecideFinding(const json& req) {
    const std::string reviewer = Reviewer(req);
    const std::string note = req.value("note", "");
    const std::string exemption = req.value("exemption", "");
    DocumentScope scope;
    if (Status s = ScopeOf(req, &scope); !s.ok()) return s;
    const std::string fp = req.value("fingerprint", "");
    const std::string decision = req.value("decision", "");
    if (decision != "" && decision != "keep" && decision != "redact") {
      return Status::InvalidInput("decision must be redact, keep or empty");
    }
    const DocView& d = docs_[req["doc"].get<size_t>()];
    Decision* entry = nullptr;
    auto it = decisions_.by_key.find(DecisionKey{d.input, d.sha256, fp});
    if (it != decisions_.by_key.end()) entry = &it->second;
    if (!entry) {
      // Not in the file yet (a run that wrote none): made from the audit's finding.
      for (const json& f : d.record.value("findings", json::array())) {
        if (f.value("fingerprint", "") != fp) continue;
        Decision e;
        e.document = d.input;
        e.sha256 = d.sha256;
        e.fingerprint = fp;
        e.page = f.value("page", 0);
        e.rule = f.value("rule", "");
        e.action = f.value("action", "");
        e.exemption = f.value("exemption", "");
        entry = &decisions_.Put(e);
      }
    }
    if (!entry) return Status::InvalidInput("no such finding in " + d.input);
    entry->decision = decision;
    entry->note = note;
    entry->reviewer = decision.empty() ? "" : reviewer;
    // The finding's own label unless the reviewer gave another for it.
    if (!exemption.empty()) entry->exemption = exemption;
    if (entry->exemption.empty()) {
      for (const json& f : d.record.value("findings", json::array())) {
        if (f.value("fingerprint", "") == fp) entry->exemption = f.value("exemption", "");
      }
    }
    return Status::Ok();
  }

  // Every finding of a rule, or of a text, decided at once.
  Status DecideInBulk(const json& req) {
    BulkDecision b;
    if (Status s = ScopeOf(req, &b.scope); !s.ok()) return s;
    b.rule = req.value("rule", "");
    b.text = req.value("text", "");
    b.decision = req.value("decision", "");
    b.exemption = req.value("exemption", "");
    b.note = req.value("note", "");
    b.reviewer = Reviewer(req);
    if (b.rule.empty() == b.text.empty() || (b.decision != "keep" && b.decision != "redact")) {
      return Status::InvalidInput("a bulk decision is a rule or a text, and keep or redact");
    }
    decisions_.bulk.push_back(std::move(b));
    return Status::Ok();
  }

  // A redaction no rule made: a text, an area of a page, or a whole page withheld.
  Status RedactByHand(const json& req, const std::string& type) {
    ManualRedaction m;
    if (Status s = ScopeOf(req, &m.scope); !s.ok()) return s;
    m.exemption = req.value("exemption", "");
    m.note = req.value("note", "");
    m.reviewer = Reviewer(req);
    const json page = req.value("page", json(0));
    if (!page.is_number_integer() || page.get<int64_t>() < 0 ||
        page.get<int64_t>() > kMaxPageNumber ||
        (!m.scope.Every() && page.get<int64_t>() > docs_[req["doc"].get<size_t>()].pages)) {
      return Status::InvalidInput("page must be a whole number, one of the document's pages");
    }
    m.page = page.get<int>();
    if (m.exemption.empty()) return Status::InvalidInput("an exemption is needed");
    if (m.page < 0 || (type == "text" && m.occurrence > 0 && m.page == 0)) {
      return Status::InvalidInput("pages count from 1; an occurrence needs its page");
    }
    if (type == "area" && !m.scope.Every()) {
      const DocView& d = docs_[req["doc"].get<size_t>()];
      if (d.record.value("kind", "") == "text") {
        return Status::InvalidInput(
            "a plain-text document has no page to draw on: redact "
            "its text instead");
      }
    }
    if (type == "text") {
      m.kind = ManualKind::kText;
      m.text = req.value("text", "");
      m.occurrence = req.value("occurrence", 0);
      if (NormalizeForMatch(m.text).empty()) return Status::InvalidInput("no text");
    } else {
      if (m.scope.Every() || m.page < 1) return Status::InvalidInput("a document and a page");
      m.kind = type == "area" ? ManualKind::kArea : ManualKind::kPage;
      if (type == "area") {
        const json& a = req.value("area", json::array());
        if (!a.is_array() || a.size() != 4) return Status::InvalidInput("area: 4 numbers");
        m.area = {std::min(a[0].get<double>(), a[2].get<double>()),
                  std::min(a[1].get<double>(), a[3].get<double>()),
                  std::max(a[0].get<double>(), a[2].get<double>()),
                  std::max(a[1].get<double>(), a[3].get<double>())};
        if (m.area.width() < 1 || m.area.height() < 1) {
          return Status::InvalidInput("the area is empty");
        }
      }
    }
    // The same redaction asked for again (a second click) replaces the first.
    std::erase_if(decisions_.manual, [&](const ManualRedaction& o) {
      return o.kind == m.kind && o.scope.document == m.scope.document &&
             o.scope.sha256 == m.scope.sha256 && o.text == m.text && o.page == m.page &&
             o.occurrence == m.occurrence && o.area.x0 == m.area.x0 && o.area.y0 == m.area.y0 &&
             o.area.x1 == m.area.x1 && o.area.y1 == m.area.y1;
    });
    decisions_.manual.push_back(std::move(m));
    return Status::Ok();
  }

  // A manual redaction or a bulk decision taken back, by its place in the file.
  Status RemoveEntry(const json& req, const std::string& type) {
    const size_t i = req.value("index", size_t(-1));
    if (type == "remove-manual") {
      if (i >= decisions_.manual.size()) return Status::InvalidInput("no such entry");
      changed_all_ = true;
      decisions_.manual.erase(decisions_.manual.begin() + long(i));
    } else {
      if (i >= decisions_.bulk.size()) return Status::InvalidInput("no such entry");
      changed_all_ = true;
      decisions_.bulk.erase(decisions_.bulk.begin() + long(i));
    }
    return Status::Ok();
  }

  // Runs the changed documents again with the decisions; returns what the run said.
  Result<json> Apply(const std::string& reviewer) {
    std::set<size_t> which = changed_;
    if (changed_all_) {
      for (size_t i = 0; i < docs_.size(); ++i) which.insert(i);
    }
    // Documents of one input root run together: batch ROOT --only REL ...; each with the
    // release name it has (--release-as: the daemon's second file of a name, response.2.pdf).
    struct Batch {
      std::vector<std::string> inputs, release_as;
    };
    std::map<std::string, Batch> by_root;
    // The daemon's documents: their archived copies (under OUT, which a batch may not read
    // from) are staged under their input names, each in a folder of its own (two files of one
    // name are two documents).
    std::string staged;
    struct Cleanup {
      std::string* dir;
      ~Cleanup() {
        std::error_code ec;
        if (!dir->empty()) fs::remove_all(*dir, ec);
      }
    } cleanup{&staged};
    for (size_t i : which) {
      const DocView& d = docs_[i];
      std::error_code ec;
      const std::string draft = fs::weakly_canonical(DraftPath(d), ec).string();
      const std::string out = fs::weakly_canonical(options_.out, ec).string() + "/";
      std::string root;
      if (draft.compare(0, out.size(), out) == 0) {
        if (staged.empty()) {
          std::string tmpl = (fs::temp_directory_path() / "redact-review-XXXXXX").string();
          if (!::mkdtemp(tmpl.data())) return Status::Io("cannot make a staging folder");
          staged = tmpl;
        }
        root = staged + "/" + std::to_string(i) + "/";
        const fs::path to = fs::path(root) / d.input;
        fs::create_directories(to.parent_path(), ec);
        if (Status s = CopyFileAtomic(draft, to.string()); !s.ok()) return s;
      } else {
        if (d.input_path.size() < d.input.size() ||
            d.input_path.compare(d.input_path.size() - d.input.size(), d.input.size(), d.input)) {
          continue;  // not where the audit says it was read from
        }
        root = d.input_path.substr(0, d.input_path.size() - d.input.size());
        if (root.empty()) root = ".";
        root = fs::absolute(root, ec).string();  // never read as an option
      }
      Batch& batch = by_root[root];
      batch.inputs.push_back(d.input);
      if (!d.release_name.empty()) batch.release_as.push_back(d.input + "=" + d.release_name);
    }
    json runs = json::array();
    int worst = 0;
    for (const auto& [root, batch] : by_root) {
      // Every value joined to its option, so that none is read as an option of its own.
      std::vector<std::string> args = {options_.self,
                                       "batch",
                                       root,
                                       "--output=" + options_.out,
                                       "--decisions=" + DecisionsPath(),
                                       "--no-report"};
      // The run's own options (the daemon's key, rules, --audit-text): its configuration file.
      if (!options_.config.empty()) args.push_back("--config=" + options_.config);
      if (!options_.key_file.empty()) args.push_back("--key-file=" + options_.key_file);
      if (!reviewer.empty()) args.push_back("--reviewer=" + reviewer);
      for (const std::string& in : batch.inputs) args.push_back("--only=" + in);
      for (const std::string& as : batch.release_as) args.push_back("--release-as=" + as);
      auto ran = Run(args);
      if (!ran.ok()) return ran.status();
      worst = std::max(worst, ran->first);
      runs.push_back({{"root", root},
                      {"documents", batch.inputs},
                      {"exit_code", ran->first},
                      {"output", ran->second}});
    }
    changed_.clear();
    changed_all_ = false;
    png_.clear();
    readers_.clear();
    texts_.clear();
    if (Status s = Load(); !s.ok()) return s;
    // The report says what is now so (released, decided, by whom): written again.
    ReportOptions report;
    report.out_root = options_.out;
    const fs::path audit = fs::path(options_.out) / "audit";
    Status rep =
        WriteReport((audit / "audit.jsonl").string(), (audit / "report.html").string(), report);
    json result = {{"runs", runs}, {"exit_code", worst}, {"documents", which.size()}};
    if (!rep.ok()) result["report_error"] = rep.message();
    return result;
  }

  // The release of a document as it is published (PDF, or a text document's text), for the
  // page's link to it; a held document's would-be release is not one.
  Result<std::pair<std::string, std::string>> ReleaseFile(size_t doc) const {
    if (doc >= docs_.size()) return Status::InvalidInput("no such document");
    const DocView& d = docs_[doc];
    if (d.record.value("status", "") != "released") return Status::InvalidInput("not released");
    const std::string& rel = !d.release_pdf.empty() ? d.release_pdf : d.release_text;
    if (rel.empty()) return Status::InvalidInput("no release");
    auto bytes = ReadFile((fs::path(options_.out) / rel).string(), size_t(1) << 31);
    if (!bytes.ok()) return bytes.status();
    return std::make_pair(
        std::move(*bytes),
        std::string(!d.release_pdf.empty() ? "application/pdf" : "text/plain; charset=utf-8"));
  }

  // A text document's text: the draft as the pipeline read it, or its release.
  Result<std::string> Text(size_t doc, bool release) {
    if (doc >= docs_.size()) return Status::InvalidInput("no such document");
    const DocView& d = docs_[doc];
    if (release) {
      if (d.release_text.empty()) return Status::InvalidInput("no released text");
      return ReadFile((fs::path(options_.out) / d.release_text).string(), size_t(64) << 20);
    }
    std::string all;
    for (int p = 1; p <= std::max(1, d.pages); ++p) {
      auto text = PageTextOf(doc, p);
      if (!text.ok()) return text.status();
      all += (**text).text + "\n";
    }
    return all;
  }

  // The matched text of each finding, read from the draft (fingerprint -> text): with
  // --audit-text hash the log keeps none, but whoever can read the drafts may see it.
  Result<json> FindingTexts(size_t doc) {
    if (doc >= docs_.size()) return Status::InvalidInput("no such document");
    json out = json::object();
    if (!Viewable(docs_[doc])) return out;
    for (const json& f : docs_[doc].record.value("findings", json::array())) {
      if (f.contains("text")) continue;
      auto text = PageTextOf(doc, f.value("page", 0));
      if (!text.ok()) continue;
      const size_t begin = f.value("begin", size_t(0)), end = f.value("end", size_t(0));
      if (f.value("boxes", json::array()).empty() && begin < end && end <= (**text).text.size()) {
        out[f.value("fingerprint", "")] = Utf8Clean((**text).text.substr(begin, end - begin));
        continue;
      }
      std::string words;
      for (const Word& w : (**text).words) {
        for (const json& b : f.value("boxes", json::array())) {
          if (!b.is_array() || b.size() != 4) continue;
          const double cx = (w.box.x0 + w.box.x1) / 2, cy = (w.box.y0 + w.box.y1) / 2;
          if (cx >= b[0].get<double>() && cx <= b[2].get<double>() && cy >= b[1].get<double>() &&
              cy <= b[3].get<double>()) {
            words += (words.empty() ? "" : " ") + w.text;
            break;
          }
        }
      }
      if (!words.empty()) out[f.value("fingerprint", "")] = Utf8Clean(words);
    }
    return out;
  }

 private:
  static std::string Utf8Clean(const std::string& s) {
    std::string out;
    for (char32_t c : DecodeUtf8(s)) out += EncodeUtf8(c == '\n' ? U' ' : c);
    return out;
  }

  // Where the draft is now: where the batch read it, or the daemon's archived copy.
  std::string DraftPath(const DocView& d) const {
    std::error_code ec;
    if (!d.input_path.empty() && fs::is_regular_file(d.input_path, ec)) return d.input_path;
    if (!d.archived.empty()) return (fs::path(options_.out) / d.archived).string();
    return d.input_path;
  }

  // A path under a folder: relative, no "..", no empty part.
  static bool CleanRelative(const std::string& p) {
    if (p.empty() || p[0] == '/') return false;
    for (const auto& part : fs::path(p)) {
      if (part == ".." || part.empty()) return false;
    }
    return true;
  }

  bool Viewable(const DocView& d) const {
    const std::string kind = d.record.value("kind", "");
    return !d.input_path.empty() &&
           (kind == "pdf" || kind == "png" || kind == "jpeg" || kind == "tiff" || kind == "text");
  }

  PageInfo Info(const DocView& d, int page) const {
    PageInfo info;
    for (const json& p : d.record.value("page_info", json::array())) {
      if (p.value("page", 0) != page) continue;
      info.turns = p.value("rotation", 0) / 90;
      info.skew = p.value("skew", 0.0);
    }
    info.dpi = options_.dpi;
    return info;
  }

  Result<DocumentReader*> Reader(size_t doc) {
    if (auto it = readers_.find(doc); it != readers_.end()) return it->second.get();
    const DocView& d = docs_[doc];
    if (!Viewable(d)) return Status::InvalidInput("no draft view for this kind of document");
    auto src = IngestFile(DraftPath(d), d.input);
    if (!src.ok()) return src.status();
    if (!d.sha256.empty() && src->sha256 != d.sha256) {
      return Status::InvalidInput(d.input_path + " has changed since the run");
    }
    auto reader = DocumentReader::Open(*src, ReaderOptions());
    if (!reader.ok()) return reader.status();
    DocumentReader* r = reader->get();
    readers_[doc] = std::move(*reader);
    return r;
  }

  Result<const PageText*> PageTextOf(size_t doc, int page) {
    const auto key = std::make_pair(doc, page);
    if (auto it = texts_.find(key); it != texts_.end()) return &it->second;
    auto reader = Reader(doc);
    if (!reader.ok()) return reader.status();
    PageInfo info = Info(docs_[doc], page);
    auto text = (*reader)->ReadPage(page, &info);
    if (!text.ok()) return text.status();
    return &(texts_[key] = std::move(*text));
  }

  Status Save() {
    std::vector<Decision> entries;
    for (const auto& [key, d] : decisions_.by_key) entries.push_back(d);
    return WriteFileAtomic(DecisionsPath(),
                           DecisionsToml(entries, decisions_.bulk, decisions_.manual));
  }

  // Runs `args` (no shell), its output and exit code. The child gets none of this process's
  // descriptors (the server's sockets) but the pipe of its output.
  static Result<std::pair<int, std::string>> Run(const std::vector<std::string>& args) {
    std::vector<char*> argv;  // made before fork: nothing is allocated in the child
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return Status::Io("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(pipefd[0]);
      ::close(pipefd[1]);
      return Status::Io("fork failed");
    }
    if (pid == 0) {
      ::dup2(pipefd[1], 1);
      ::dup2(pipefd[1], 2);
      ::close_range(3, ~0U, 0);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(pipefd[1]);
    std::string output;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      output.append(buf, size_t(n));
    }
    ::close(pipefd[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : 128, output);
  }

  const ReviewOptions& options_;
  std::vector<DocView> docs_;
  DecisionSet decisions_;
  std::set<size_t> changed_;   // documents whose decisions changed since the last apply
  uintmax_t loaded_size_ = 0;  // the audit log's size when it was read
  bool changed_all_ = false;   // a change for every document
  std::map<std::string, std::string> png_;
  std::map<size_t, std::unique_ptr<DocumentReader>> readers_;
  std::map<std::pair<size_t, int>, PageText> texts_;
};

bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

void Send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

}  // namespace

namespace {

// Every request: to this server by its own address (no DNS rebinding), with the token; a
// change only from this server's own page (a custom header no other site can send without
// a preflight this server never answers, and its Origin when the browser gives one).
// `port` is read when a request comes, once the server listens.
void GuardEveryRequest(httplib::Server* server, const int* port, const std::string& token) {
  server->set_pre_routing_handler(
      [port, &token](const httplib::Request& req, httplib::Response& res) {
        const std::string self = "127.0.0.1:" + std::to_string(*port);
        const std::string host = req.get_header_value("Host");
        if (host != self && host != "localhost:" + std::to_string(*port)) {
          res.status = 403;
          res.set_content("wrong host\n", "text/plain");
          return httplib::Server::HandlerResponse::Handled;
        }
        const std::string header = req.get_header_value("X-Redact-Token");
        const std::string query = req.has_param("token") ? req.get_param_value("token") : "";
        const bool change = req.method != "GET" && req.method != "HEAD";
        const bool ok = change ? SameSecret(header, token)
                               : SameSecret(header, token) || SameSecret(query, token);
        const std::string site = req.get_header_value("Sec-Fetch-Site");
        const std::string origin = req.get_header_value("Origin");
        const bool same_site = (site.empty() || site == "same-origin" || site == "none") &&
                               (origin.empty() || origin == "http://" + host);
        if (!ok || (change && !same_site)) {
          res.status = 403;
          res.set_content("forbidden: open the URL redact review printed\n", "text/plain");
          return httplib::Server::HandlerResponse::Handled;
        }
        res.set_header("Cache-Control", "no-store");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                       "connect-src 'self'; frame-ancestors 'none'; form-action 'none'");
        return httplib::Server::HandlerResponse::Unhandled;
      });
}

// The page, its script and style, and what it reads: the state, page images, releases, texts.
void AddReadRoutes(httplib::Server* server, ReviewState* state, std::mutex* mu,
                   const std::string& token) {
  server->Get("/", [token](const httplib::Request&, httplib::Response& res) {
    res.set_content(ReviewPageHtml(token), "text/html; charset=utf-8");
  });
  server->Get("/app.js", [=](const httplib::Request&, httplib::Response& res) {
    res.set_content(kReviewAppJs, "text/javascript; charset=utf-8");
  });
  server->Get("/app.css", [=](const httplib::Request&, httplib::Response& res) {
    res.set_content(kReviewAppCss, "text/css; charset=utf-8");
  });
  server->Get("/api/state", [=](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    if (Status s = state->RefreshIfIdle(); !s.ok()) return Send(res, 500, {{"error", s.message()}});
    Send(res, 200, state->StateJson());
  });
  server->Get("/api/page.png", [=](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    size_t doc = 0;
    int page = 0;
    const std::string doc_param = req.get_param_value("doc");
    const std::string page_param = req.get_param_value("page");
    const auto whole = [](const std::string& s) {  // "2.9", "1e30", "-1", " 2" are no number
      return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    try {
      if (!whole(doc_param) || !whole(page_param)) throw std::invalid_argument("not a number");
      doc = std::stoul(doc_param);
      page = std::stoi(page_param);
    } catch (const std::exception&) {
      res.status = 400;
      return;
    }
    auto png = state->PagePng(doc, page, req.get_param_value("kind") == "release");
    if (!png.ok()) {
      res.status = 404;
      res.set_content(png.status().message(), "text/plain");
      return;
    }
    res.set_content(*png, "image/png");
  });
  // A document by its number in the state, never by a path.
  auto doc_param = [](const httplib::Request& req, size_t* doc) {
    try {
      *doc = std::stoul(req.get_param_value("doc"));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };
  server->Get("/api/release", [=](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    size_t doc = 0;
    if (!doc_param(req, &doc)) return Send(res, 400, {{"error", "which document?"}});
    auto file = state->ReleaseFile(doc);
    if (!file.ok()) return Send(res, 404, {{"error", file.status().message()}});
    res.set_content(file->first, file->second);
  });
  server->Get("/api/text", [=](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    size_t doc = 0;
    if (!doc_param(req, &doc)) return Send(res, 400, {{"error", "which document?"}});
    auto text = state->Text(doc, req.get_param_value("kind") == "release");
    if (!text.ok()) return Send(res, 404, {{"error", text.status().message()}});
    Send(res, 200, {{"text", *text}});
  });
  server->Get("/api/finding-texts", [=](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    size_t doc = 0;
    if (!doc_param(req, &doc)) return Send(res, 400, {{"error", "which document?"}});
    auto texts = state->FindingTexts(doc);
    if (!texts.ok()) return Send(res, 404, {{"error", texts.status().message()}});
    Send(res, 200, {{"texts", *texts}});
  });
  server->Get("/api/search", [=](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    auto hits = state->Search(req.get_param_value("q"));
    if (!hits.ok()) return Send(res, 400, {{"error", hits.status().message()}});
    Send(res, 200, {{"hits", *hits}});
  });
}

// What changes: a decision, and applying the decisions (the documents run again).
void AddChangeRoutes(httplib::Server* server, ReviewState* state, std::mutex* mu,
                     const ReviewOptions& options) {
  server->Post("/api/decide", [=, &options](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return Send(res, 400, {{"error", "not JSON"}});
    Status s = Status::Ok();
    try {
      s = state->Decide(body);
    } catch (const json::exception& e) {
      s = Status::InvalidInput(std::string("bad request: ") + e.what());
    }
    if (!s.ok()) return Send(res, 400, {{"error", s.message()}});
    Send(res, 200, state->StateJson());
  });
  server->Post("/api/apply", [=, &options](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(*mu);
    json body = json::parse(req.body, nullptr, false);
    const std::string reviewer =
        body.is_object() ? body.value("reviewer", options.reviewer) : options.reviewer;
    auto applied = state->Apply(reviewer);
    if (!applied.ok()) return Send(res, 500, {{"error", applied.status().message()}});
    json out = *applied;
    out["state"] = state->StateJson();
    Send(res, 200, out);
  });
}

// Serves until `options.stop` is set (once the server listens: a stop asked for before then
// would be lost), telling `options.on_ready` the URL.
void ServeUntilStopped(httplib::Server& server, const ReviewOptions& options, int port,
                       const std::string& token) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/?token=" + token;
  std::atomic<bool> done{false};
  std::thread stopper;
  if (options.stop) {
    stopper = std::thread([&] {
      while (!options.stop->load() && !done.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      while (!done.load() && !server.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      server.stop();
    });
  }
  if (options.on_ready) options.on_ready(url);
  server.listen_after_bind();
  done = true;
  if (stopper.joinable()) stopper.join();
}

}  // namespace

int RunReviewServer(const ReviewOptions& options, std::ostream& err) {
  // An FOI unit's shared OUT: the decisions and what apply writes are the group's too.
  ShareOutWithItsGroup(options.out);
  ReviewState state(options);
  if (Status s = state.Load(); !s.ok()) {
    err << "redact review: " << s.message() << "\n";
    if (!s.hint().empty()) err << "  " << s.hint() << "\n";
    return 1;
  }
  std::string token = options.token;
  if (token.empty()) {
    auto made = RandomHex(16);
    if (!made) {
      err << "redact review: OpenSSL could not make a random token\n";
      return 1;
    }
    token = *made;
  }
  std::mutex mu;
  httplib::Server server;
  int port = 0;
  GuardEveryRequest(&server, &port, token);
  AddReadRoutes(&server, &state, &mu, token);
  AddChangeRoutes(&server, &state, &mu, options);
  server.set_payload_max_length(1 << 20);
  port = options.port > 0 && server.bind_to_port("127.0.0.1", options.port) ? options.port
         : options.port > 0                                                 ? -1
                            : server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    err << "redact review: cannot listen on 127.0.0.1"
        << (options.port > 0 ? ":" + std::to_string(options.port) : "")
        << " (in use? try another --port, or 0 for a free one)\n";
    return 6;
  }
  ServeUntilStopped(server, options, port, token);
  return 0;
}

}  // namespace redact
