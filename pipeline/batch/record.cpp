#include "pipeline/batch/record.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "pipeline/core/build_info.h"
#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr Stage kStages[] = {Stage::kNone,    Stage::kIngest,  Stage::kRules,  Stage::kConvert,
                             Stage::kExtract, Stage::kDetect,  Stage::kRender, Stage::kWrite,
                             Stage::kVerify,  Stage::kPublish, Stage::kProcess};

// `v` to 1/`scale` (100: two decimals), as the records have always shown it; a value that is not
// finite (a box from a hostile file's matrix) is 0, since JSON cannot carry it.
double Round(double v, double scale) {
  return std::isfinite(v) ? std::round(v * scale) / scale : 0.0;
}

// Text as the record carries it: valid UTF-8, each byte that is not replaced by U+FFFD, and
// hashed so, whether the record comes from this process or from a worker's answer.
std::string Utf8Safe(const std::string& s) {
  if (IsValidUtf8(s)) return s;
  std::string out;
  for (char32_t c : DecodeUtf8(s)) out += EncodeUtf8(c);
  return out;
}

// Where the input was read from, whatever the folder the command ran in (a later `redact
// review` runs it again from elsewhere).
std::string AbsolutePath(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

const char* ActionName(Action a) {
  return a == Action::kRedact ? "redact" : a == Action::kFlag ? "flag" : "note";
}

Action ActionFromName(const std::string& name) {
  return name == "redact" ? Action::kRedact : name == "flag" ? Action::kFlag : Action::kNote;
}

SourceKind KindFromName(const std::string& name) {
  for (SourceKind k :
       {SourceKind::kPdf, SourceKind::kText, SourceKind::kPng, SourceKind::kJpeg, SourceKind::kTiff,
        SourceKind::kOffice, SourceKind::kOutlookMessage, SourceKind::kEmail}) {
    if (name == SourceKindName(k)) return k;
  }
  return SourceKind::kPdf;
}

PageSource PageSourceFromName(const std::string& name) {
  for (PageSource p :
       {PageSource::kNone, PageSource::kTextLayer, PageSource::kOcr, PageSource::kBoth}) {
    if (name == PageSourceName(p)) return p;
  }
  return PageSource::kNone;
}

// How much of the matched text a record carries.
enum class TextIn { kFull, kPlain, kHash, kNone };

TextIn TextInFor(AuditText mode) {
  return mode == AuditText::kPlain  ? TextIn::kPlain
         : mode == AuditText::kHash ? TextIn::kHash
                                    : TextIn::kNone;
}

json FindingJson(const Finding& f, TextIn text, bool wire, const std::string& key) {
  json boxes = json::array();
  for (const Box& b : f.boxes) {
    boxes.push_back({Round(b.x0, 100), Round(b.y0, 100), Round(b.x1, 100), Round(b.y1, 100)});
  }
  json j = {{"rule", f.rule_id},
            {"action", ActionName(f.action)},
            {"exemption", f.exemption},
            {"page", f.page},
            {"boxes", boxes},
            {"fingerprint", f.fingerprint},
            {"consistency", f.consistency},
            {"source", f.source == TextSource::kOcr ? "ocr" : "text-layer"}};
  if (!f.decision.empty()) j["decision"] = f.decision;
  if (!f.decided_by.empty()) j["decided_by"] = f.decided_by;
  if (f.in_bulk) j["in_bulk"] = true;
  if (!f.note.empty()) j["note"] = Utf8Safe(f.note);
  if (f.source == TextSource::kOcr) {
    j["confidence"] = Round(f.confidence, 10);
    j["low_confidence"] = f.low_confidence;
  }
  if (text == TextIn::kPlain || text == TextIn::kFull) {
    j["text"] = Utf8Safe(f.text);
    j["context"] = {Utf8Safe(f.context_before), Utf8Safe(f.context_after)};
  }
  if (text == TextIn::kHash) j["text_hmac"] = HmacSha256Hex(key, Utf8Safe(f.text));
  // Where it is in the page's text: for the worker's answer, and for a finding with no box (a
  // text document's), so that a reviewer who can read the draft finds its text there. An offset
  // says no more than a box does.
  if (wire || f.boxes.empty()) {
    j["begin"] = f.begin;
    j["end"] = f.end;
  }
  return j;
}

Finding FindingFrom(const json& j) {
  Finding f;
  f.rule_id = j.at("rule").get<std::string>();
  f.action = ActionFromName(j.at("action").get<std::string>());
  f.exemption = j.at("exemption").get<std::string>();
  f.page = j.at("page").get<int>();
  for (const json& b : j.at("boxes"))
    f.boxes.push_back({b.at(0).get<double>(), b.at(1).get<double>(), b.at(2).get<double>(),
                       b.at(3).get<double>()});
  f.fingerprint = j.at("fingerprint").get<std::string>();
  f.consistency = j.at("consistency").get<bool>();
  f.source = j.at("source") == "ocr" ? TextSource::kOcr : TextSource::kTextLayer;
  f.decision = j.value("decision", "");
  f.decided_by = j.value("decided_by", "");
  f.in_bulk = j.value("in_bulk", false);
  f.note = j.value("note", "");
  f.confidence = j.value("confidence", 100.0);
  f.low_confidence = j.value("low_confidence", false);
  f.text = j.value("text", "");
  if (j.contains("context")) {
    f.context_before = j["context"].at(0).get<std::string>();
    f.context_after = j["context"].at(1).get<std::string>();
  }
  f.begin = j.value("begin", size_t(0));
  f.end = j.value("end", size_t(0));
  return f;
}

json PageInfoJson(const std::vector<PageInfo>& pages) {
  json out = json::array();
  for (size_t i = 0; i < pages.size(); ++i) {
    const PageInfo& p = pages[i];
    json pj = {{"page", i + 1}, {"source", PageSourceName(p.source)}};
    // Hidden content: words in the file that no reader sees on the page. Left out of the release.
    if (p.hidden_words > 0) pj["hidden_words"] = p.hidden_words;
    // A text-layer page read by OCR too (a picture on it may hold text), even if OCR added none.
    if (p.ocr_read && p.source == PageSource::kTextLayer) pj["ocr_read"] = true;
    if (p.source == PageSource::kOcr || p.source == PageSource::kBoth) {
      pj["mean_confidence"] = Round(p.mean_confidence, 10);
      pj["ocr_words"] = p.ocr_words;
      pj["rotation"] = p.turns * 90;
      pj["skew"] = Round(p.skew, 100);
      pj["dpi"] = p.dpi;
    }
    out.push_back(std::move(pj));
  }
  return out;
}

PageInfo PageInfoFrom(const json& j) {
  PageInfo p;
  p.source = PageSourceFromName(j.at("source").get<std::string>());
  p.hidden_words = j.value("hidden_words", 0);
  p.mean_confidence = j.value("mean_confidence", 100.0);
  p.ocr_words = j.value("ocr_words", 0);
  p.ocr_read = j.value("ocr_read", p.source == PageSource::kOcr || p.source == PageSource::kBoth);
  p.turns = j.value("rotation", 0) / 90;
  p.skew = j.value("skew", 0.0);
  p.dpi = j.value("dpi", 200.0);
  return p;
}

json HiddenJson(const std::vector<HiddenItem>& hidden, TextIn text, const std::string& key) {
  json out = json::array();
  for (const HiddenItem& h : hidden) {
    json hj = {{"kind", h.kind}, {"page", h.page}};
    const std::string safe = Utf8Safe(h.text);
    if (text == TextIn::kFull) {
      hj["text"] = safe;
    } else if (text == TextIn::kPlain) {
      hj["text"] = safe.size() > 500 ? Utf8Safe(safe.substr(0, 500)) + "..." : safe;
    } else if (text == TextIn::kHash) {
      hj["text_hmac"] = HmacSha256Hex(key, safe);
    }
    out.push_back(std::move(hj));
  }
  return out;
}

// An error's message with the strings it names (between « and », verify/verify.cpp) kept as
// the finding's text is: as they are in plain mode, as a keyed hash in hash mode, left out in
// none.
std::string ErrorText(const std::string& message, TextIn text, const std::string& key) {
  if (text == TextIn::kPlain || text == TextIn::kFull) return message;
  static const std::string kOpen = "\u00ab", kClose = "\u00bb";
  std::string out;
  size_t at = 0;
  for (size_t open; (open = message.find(kOpen, at)) != std::string::npos;) {
    const size_t close = message.find(kClose, open + kOpen.size());
    if (close == std::string::npos) break;
    const std::string named = message.substr(open + kOpen.size(), close - open - kOpen.size());
    out += message.substr(at, open - at) + kOpen +
           (text == TextIn::kHash ? "text_hmac " + HmacSha256Hex(key, named).substr(0, 16)
                                  : std::string("text not recorded")) +
           kClose;
    at = close + kClose.size();
  }
  return out + message.substr(at);
}

json Record(const DocumentRecord& r, TextIn text, const RecordClock* clock,
            const std::string& key) {
  const bool wire = text == TextIn::kFull;
  json findings = json::array();
  for (const Finding& f : r.findings) findings.push_back(FindingJson(f, text, wire, key));
  json outputs = json::array();
  for (const OutputFile& o : r.outputs) {
    json oj = {{"path", o.path}};
    if (!o.sha256.empty()) oj["sha256"] = o.sha256;
    outputs.push_back(std::move(oj));
  }
  json seconds = json::object();
  for (const auto& [stage, secs] : r.seconds) {
    seconds[StageName(stage)] = clock ? clock->Seconds(secs) : secs;
  }
  json j = {{"event", "document"}};
  if (clock) j["time"] = clock->Now();
  j.update({{"input", r.source.relative},
            {"input_path", AbsolutePath(r.source.path)},
            {"sha256", r.source.sha256},
            {"kind", r.kind_known ? SourceKindName(r.source.kind) : "unknown"},
            {"pages", r.pages},
            {"status", DispositionName(r.disposition())},
            {"redactions", r.redactions()},
            {"flags", r.flags()},
            {"open_flags", r.open_flags},
            {"findings", findings},
            {"outputs", outputs},
            {"seconds", seconds},
            {"page_info", PageInfoJson(r.page_info)}});
  if (!r.hidden.empty()) j["hidden_content"] = HiddenJson(r.hidden, text, key);
  if (!r.status.ok()) {
    j["stage"] = StageName(r.stage);
    j["error"] = ErrorText(r.status.message(), text, key);
    j["hint"] = r.status.hint();
    j["code"] = Status::CodeName(r.status.code());
  }
  if (!r.attachments.empty()) {
    json attachments = json::array();
    for (const AttachmentRecord& a : r.attachments) {
      json aj = {{"name", a.name},
                 {"content_type", a.content_type},
                 {"size", a.size},
                 {"input", a.input},
                 {"status", a.status}};
      if (wire) aj["path"] = a.path;
      attachments.push_back(std::move(aj));
    }
    j["attachments"] = std::move(attachments);
  }
  if (r.selfcheck_rounds > 1) j["selfcheck_rounds"] = r.selfcheck_rounds;
  if (!r.parent.empty()) j["parent"] = r.parent;
  if (!r.release_name.empty()) j["release_name"] = r.release_name;
  if (!r.name_redactions.empty()) {
    json names = json::array();
    for (const PathRedaction& n : r.name_redactions) {
      names.push_back({{"rule", n.rule_id}, {"exemption", n.exemption}});
    }
    j["release_name_redactions"] = std::move(names);
  }
  if (r.worker_signal != 0) j["worker_signal"] = r.worker_signal;
  if (!r.reviewer.empty()) j["reviewer"] = r.reviewer;
  if (!r.archived.empty()) j["archived"] = r.archived;
  if (r.seconds_total >= 0) j["seconds_total"] = clock ? clock->Seconds(r.seconds_total) : 0.0;
  if (wire) j["held"] = r.held;
  return j;
}

}  // namespace

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return "";
    case Stage::kIngest:
      return "ingest";
    case Stage::kRules:
      return "rules";
    case Stage::kConvert:
      return "convert";
    case Stage::kExtract:
      return "extract";
    case Stage::kDetect:
      return "detect";
    case Stage::kRender:
      return "render";
    case Stage::kWrite:
      return "write";
    case Stage::kVerify:
      return "verify";
    case Stage::kPublish:
      return "publish";
    case Stage::kProcess:
      return "process";
  }
  return "";
}

Stage StageFromName(const std::string& name) {
  for (Stage s : kStages) {
    if (name == StageName(s)) return s;
  }
  return Stage::kProcess;
}

const char* DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kReleased:
      return "released";
    case Disposition::kReview:
      return "review";
    case Disposition::kQuarantined:
      return "quarantined";
    case Disposition::kOutputFailed:
      return "output_failed";
  }
  return "quarantined";
}

Disposition DocumentRecord::disposition() const {
  if (!status.ok()) {
    return status.code() == Status::Code::kOutputUnavailable ? Disposition::kOutputFailed
                                                             : Disposition::kQuarantined;
  }
  return held ? Disposition::kReview : Disposition::kReleased;
}

size_t DocumentRecord::redactions() const {
  return size_t(std::count_if(findings.begin(), findings.end(),
                              [](const Finding& f) { return f.action == Action::kRedact; }));
}

size_t DocumentRecord::flags() const { return findings.size() - redactions(); }

bool DocumentRecord::decided() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return !f.decision.empty(); });
}

DocumentRecord FailedRecord(const std::string& path, const std::string& relative, Stage stage,
                            Status status) {
  DocumentRecord r;
  r.source.path = path;
  r.source.relative = relative;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    auto sha = Sha256File(path);
    if (sha.ok()) r.source.sha256 = *sha;
  }
  r.stage = stage;
  r.status = std::move(status);
  return r;
}

json RecordJson(const DocumentRecord& record, AuditText mode, const RecordClock& clock,
                const std::string& key) {
  return Record(record, TextInFor(mode), &clock, key);
}

json WireJson(const DocumentRecord& record) { return Record(record, TextIn::kFull, nullptr, ""); }

Result<DocumentRecord> ParseWireRecord(const json& j) {
  try {
    DocumentRecord r;
    r.source.relative = j.at("input").get<std::string>();
    r.source.path = j.at("input_path").get<std::string>();
    r.source.sha256 = j.at("sha256").get<std::string>();
    const std::string kind = j.at("kind").get<std::string>();
    r.kind_known = kind != "unknown";
    r.source.kind = KindFromName(kind);
    r.pages = j.at("pages").get<int>();
    for (const json& f : j.at("findings")) r.findings.push_back(FindingFrom(f));
    for (const json& o : j.at("outputs"))
      r.outputs.push_back({o.at("path").get<std::string>(), o.value("sha256", "")});
    for (const auto& [stage, secs] : j.at("seconds").items()) {
      r.seconds[StageFromName(stage)] = secs.get<double>();
    }
    for (const json& p : j.at("page_info")) r.page_info.push_back(PageInfoFrom(p));
    if (j.contains("hidden_content")) {
      for (const json& h : j["hidden_content"]) {
        r.hidden.push_back(
            {h.at("kind").get<std::string>(), h.at("page").get<int>(), h.value("text", "")});
      }
    }
    r.open_flags = j.at("open_flags").get<size_t>();
    r.held = j.at("held").get<bool>();
    if (j.contains("error")) {
      r.stage = StageFromName(j.at("stage").get<std::string>());
      r.status = Status::FromCode(Status::CodeFromName(j.at("code").get<std::string>()),
                                  j.at("error").get<std::string>(), j.value("hint", ""));
      if (r.status.ok()) r.status = Status::Io(j.at("error").get<std::string>());
    }
    if (j.contains("attachments")) {
      for (const json& a : j["attachments"]) {
        r.attachments.push_back({a.at("name").get<std::string>(), a.value("path", ""),
                                 a.at("content_type").get<std::string>(),
                                 a.at("size").get<uint64_t>(), a.value("input", ""),
                                 a.value("status", "")});
      }
    }
    r.worker_signal = j.value("worker_signal", 0);
    r.selfcheck_rounds = j.value("selfcheck_rounds", 1);
    return r;
  } catch (const json::exception& e) {
    return Status::Engine(std::string("the document worker's answer is malformed: ") + e.what(),
                          "This is a bug in redact: please report it with the input's audit "
                          "record.");
  }
}

json QuarantineNoteJson(const DocumentRecord& r, const RecordClock& clock) {
  return {{"input", r.source.path},
          {"relative", r.source.relative},
          {"sha256", r.source.sha256},
          {"stage", StageName(r.stage)},
          {"error", r.status.message()},
          {"hint", r.status.hint()},
          {"code", Status::CodeName(r.status.code())},
          {"tool_version", kVersion},
          {"time", clock.Now()}};
}

}  // namespace redact
