#include "pipeline/batch/document.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/batch/kept_text.h"
#include "pipeline/batch/page_scheduler.h"
#include "pipeline/batch/pending_outputs.h"
#include "pipeline/batch/release_names.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/core/page_store.h"
#include "pipeline/core/spill_file.h"
#include "pipeline/core/tar.h"
#include "pipeline/core/text.h"
#include "pipeline/detect/detect.h"
#include "pipeline/extract/email.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/extract/office.h"
#include "pipeline/extract/text_printout.h"
#include "pipeline/image/leptonica.h"
#include "pipeline/render/ink_fit.h"
#include "pipeline/render/reflow.h"
#include "pipeline/render/release_page.h"
#include "pipeline/report/report.h"
#include "pipeline/verify/release_path.h"
#include "pipeline/verify/verify.h"
#include "pipeline/write/release_pdf.h"
#include "pipeline/write/release_text.h"

namespace redact {
namespace fs = std::filesystem;

Result<PrintedDocument> PrintToPdf(const Source& source, const std::string& work_dir,
                                   const std::string& attachments_dir, double timeout_seconds,
                                   const OfficeServerHandle& server, const RuleMatcher* matcher) {
  OfficeOptions options;
  options.timeout_seconds = timeout_seconds;
  options.server = server;
  PrintedDocument out;
  if (source.kind == SourceKind::kEmail) {
    auto mail = ReadEmailMessage(source.path, attachments_dir);
    if (!mail.ok()) return mail.status();
    if (matcher) {
      for (const EmailAttachment& a : mail->attachments) {
        const std::string listed = "  " + a.name + " (" + a.content_type + ")\n";
        const size_t at = mail->text.rfind(listed);
        if (at == std::string::npos) continue;
        auto named = RedactReleasePath(a.name, *matcher);
        if (!named.ok()) return named.status();
        if (named->path != a.name) mail->text.replace(at + 2, a.name.size(), named->path);
      }
    }
    // Typeset here, not printed by LibreOffice: a page of monospaced text needs no office suite.
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    out.pdf_path = (fs::path(work_dir) / "message.pdf").string();
    if (Status s = PrintTextToPdf(mail->text, out.pdf_path); !s.ok()) return s;
    out.hidden = std::move(mail->hidden);
    for (const EmailAttachment& a : mail->attachments) {
      out.attachments.push_back(
          {a.name, a.path, a.content_type, a.size, source.relative + ".attachments/" + a.name, ""});
    }
    return out;
  }
  auto converted = ConvertOfficeDocument(source, work_dir, options);
  if (!converted.ok()) return converted.status();
  out.pdf_path = converted->pdf_path;
  out.hidden = std::move(converted->hidden);
  out.withheld = std::move(converted->withheld);
  out.visible = std::move(converted->visible);
  return out;
}

namespace {

// One document on its way through the stages: what each stage leaves for the next.
class DocumentRun {
 public:
  DocumentRun(const Source& source, const DocumentContext& ctx,
              std::vector<std::pair<std::string, std::string>> also_redact)
      : source_(source),
        ctx_(ctx),
        also_redact_(std::move(also_redact)),
        config_(*ctx.config),
        reader_options_([&] {
          ReaderOptions o = ReaderOptionsFrom(*ctx.config);
          o.typeset = source.kind == SourceKind::kEmail;  // read as the PDF PrintToPdf typesets
          return o;
        }()),
        reading_(source),
        pending_(ctx.env) {
    record_.source = source;
    record_.kind_known = true;
  }
  ~DocumentRun() {
    if (!work_dir_.empty()) {
      std::error_code ec;
      fs::remove_all(work_dir_, ec);
    }
  }

  // Runs one stage, timing it; false (with the record saying where and why) if it failed.
  template <typename Fn>
  bool Step(Stage stage, Fn fn) {
    const auto start = std::chrono::steady_clock::now();
    Status s = fn();
    record_.seconds[stage] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s.ok()) return true;
    record_.stage = stage;
    record_.status = std::move(s);
    return false;
  }

  Status Convert();
  Status ReadPages();
  Status FindAndDecide();
  Status WithholdPageLines(const std::vector<const PageText*>& pages, int withheld);
  Status PlanOutputs();
  Status AddWithheld();
  Status WriteText();
  Status RenderPages();
  Status WritePdf();
  Status Verify();
  Status Publish();

  DocumentRecord TakeRecord() { return std::move(record_); }
  // What the self-check found, when Verify failed.
  const SelfCheckFinding& selfcheck_found() const { return selfcheck_found_; }

 private:
  Status RenderPage(DocumentReader* reader, int page);
  Result<EncodedImage> EncodeWithoutRedactedBytes(GrayImage* raster,
                                                  const std::vector<LabelledBox>& boxes) const;

  const Source& source_;
  const DocumentContext& ctx_;
  // Texts redacted wherever they occur, as the rule of the given id redacts: what the
  // self-check found in an earlier round's release (ProcessDocument).
  const std::vector<std::pair<std::string, std::string>> also_redact_;
  SelfCheckFinding selfcheck_found_;
  const JobConfig& config_;
  const ReaderOptions reader_options_;
  DocumentRecord record_;

  // What the readers open: the input, or for an Office document the PDF LibreOffice printed
  // of its cleaned copy (in work_dir_, removed with the run).
  Source reading_;
  std::string work_dir_;
  std::vector<std::string> withheld_;        // hidden text of the input the release must not hold
  std::string visible_;                      // what the cleaned input says, as its package holds it
  std::vector<std::string> withheld_lines_;  // lines of pages a reviewer withheld
  std::atomic<int> pages_read_{0}, pages_rendered_{0};  // for ctx_.on_pages
  // The report's page views, made from the rasters this run has anyway (the report would
  // otherwise render every page again): page -> (original with findings outlined, release).
  std::set<int> thumb_pages_;
  std::mutex thumbs_mu_;
  std::map<int, std::pair<std::string, std::string>> thumbs_;

  std::unique_ptr<DocumentReader> reader_;
  // Pages wait on disk between stages (beside the release, not in /tmp, which is often
  // memory), so a long document needs no more memory than a short one.
  std::unique_ptr<SpillFile> spill_;
  std::unique_ptr<PageStore> pages_;

  std::vector<std::string> kept_texts_;  // a reviewer released these
  std::string out_root_;                 // release/ or review/
  std::string release_rel_;              // the release's path under out_root_
  PendingOutputs pending_;
  std::vector<std::string> published_rel_;  // per pending output, its path under out_root_
  VerifyRequest verify_;
  std::optional<LiteralFinder> redacted_finder_;

  std::vector<SpilledReleasePage> release_pages_;
  std::vector<std::string> sidecar_pages_;
  std::vector<std::string> hidden_text_;  // per page, text-layer words no reader sees
};

// convert (Office documents and e-mail): an Office file cleaned of what its final form hides
// and printed to PDF by LibreOffice, or a message read as its reader sees it and typeset to
// PDF; the rest of the pipeline reads that PDF.
Status DocumentRun::Convert() {
  // In OUT/attachments/ (internal), never under release/; named as a temp of this process, so
  // that a killed worker's folder is cleared like its other temps.
  work_dir_ = TempPathBeside(
      (fs::path(ctx_.release_root).parent_path() / "attachments" / "office").string());
  if (Status s = ctx_.env->CreateDirs(work_dir_); !s.ok()) return s;
  const fs::path attachments_dir = !ctx_.attachments_dir.empty()
                                       ? fs::absolute(ctx_.attachments_dir)
                                       : fs::absolute(ctx_.release_root).parent_path() /
                                             "attachments" / (source_.relative + ".attachments");
  // Within the worker's own limit, so that a hang is said to be LibreOffice's.
  auto printed = PrintToPdf(source_, fs::absolute(work_dir_).string(), attachments_dir.string(),
                            config_.timeout_seconds * 0.8, ctx_.office, ctx_.matcher.get());
  if (!printed.ok()) return printed.status();
  reading_.path = printed->pdf_path;
  record_.hidden = std::move(printed->hidden);
  withheld_ = std::move(printed->withheld);
  visible_ = std::move(printed->visible);
  record_.attachments = std::move(printed->attachments);
  reading_.kind = SourceKind::kPdf;
  return Status::Ok();
}

// extract: every page's text (text layer, OCR or both) into the page store.
Status DocumentRun::ReadPages() {
  auto reader = DocumentReader::Open(reading_, reader_options_);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
  for (HiddenItem& h : reader_->HiddenContent()) {
    // LibreOffice's own Producer and Creator in the PDF it printed are not the input's.
    if (reading_.path != source_.path && (h.kind == "metadata" || h.kind == "xmp metadata")) {
      continue;
    }
    record_.hidden.push_back(std::move(h));
  }
  const int n = reader_->page_count();
  if (reading_.kind != SourceKind::kText) {  // plain text is one page: no need to spill it
    if (Status s = ctx_.env->CreateDirs(ctx_.release_root); !s.ok()) return s;
    auto made = SpillFile::Create(ctx_.release_root, ctx_.env);
    if (!made.ok()) return made.status();
    spill_ = std::move(*made);
  }
  pages_ = std::make_unique<PageStore>(size_t(n), spill_.get());
  record_.page_info.resize(size_t(n));
  Status s = ForEachPage(reading_, reader_options_, reader_.get(), n, config_.page_jobs,
                         [&](DocumentReader* r, int p) {
                           auto text = r->ReadPage(p, &record_.page_info[size_t(p - 1)]);
                           if (!text.ok()) return text.status();
                           Status put = pages_->Put(size_t(p - 1), std::move(*text));
                           if (ctx_.on_pages) ctx_.on_pages(++pages_read_, 0, n);
                           return put;
                         });
  if (!s.ok()) return s;
  ReleaseOcrEngines();  // the models are not needed to render; the other threads have ended
  record_.pages = n;
  return Status::Ok();
}

// detect and decide: the rules' findings, then a reviewer's decisions on them. "keep"
// releases a finding's text (it becomes a flag marked kept); "redact" turns a flag into a
// redaction. A flag nobody has decided holds the document for review.
Status DocumentRun::FindAndDecide() {
  DetectOptions detect;
  detect.min_flag_confidence = config_.ocr_min_confidence;
  detect.fingerprint_key = config_.audit_key;
  detect.also_redact = also_redact_;
  auto findings = DetectFindings(*pages_, *ctx_.matcher, detect);
  if (!findings.ok()) return findings.status();
  record_.findings = std::move(*findings);
  if (ctx_.decisions) {
    const DecisionSet& decisions = *ctx_.decisions;
    AppliedDecisions applied;
    for (Finding& k : ApplyDecisions(decisions, source_.relative, source_.sha256, config_.reviewer,
                                     &record_.findings, &applied)) {
      kept_texts_.push_back(k.text);
      k.action = Action::kFlag;
      record_.findings.push_back(std::move(k));
    }
    // The reviewer's own redactions: texts, areas and pages no rule marked.
    if (!decisions.manual.empty()) {
      std::vector<std::shared_ptr<const PageText>> held;
      std::vector<const PageText*> pages;
      for (size_t i = 0; i < pages_->size(); ++i) {
        auto page = pages_->Get(i);
        if (!page.ok()) return page.status();
        held.push_back(*page);
        pages.push_back(held.back().get());
      }
      auto manual = ManualFindings(decisions, source_.relative, source_.sha256, config_.reviewer,
                                   pages, detect.box_padding, &applied);
      if (!manual.ok()) return manual.status();
      AssignFingerprints(&*manual, config_.audit_key);
      for (Finding& f : *manual) {
        if (f.rule_id == "manual.page") {
          if (Status s = WithholdPageLines(pages, f.page); !s.ok()) return s;
        }
        record_.findings.push_back(std::move(f));
      }
    }
    std::stable_sort(record_.findings.begin(), record_.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       return a.page != b.page ? a.page < b.page : a.begin < b.begin;
                     });
  }
  record_.open_flags =
      size_t(std::count_if(record_.findings.begin(), record_.findings.end(), [](const Finding& f) {
        return f.action == Action::kFlag && f.decision.empty();
      }));
  record_.held = record_.open_flags > 0 && !config_.release_flagged;
  return PlanOutputs();
}

// A withheld page's lines that no other page has: the self-check looks for each in the
// release (the page's text is not one finding's, so no other string stands for it).
Status DocumentRun::WithholdPageLines(const std::vector<const PageText*>& pages, int withheld) {
  std::string others;
  for (const PageText* p : pages) {
    if (p->page != withheld) others += p->text + "\n";
  }
  for (const PageText* p : pages) {
    if (p->page != withheld) continue;
    size_t start = 0;
    while (start < p->text.size()) {
      size_t end = p->text.find('\n', start);
      if (end == std::string::npos) end = p->text.size();
      const std::string line = p->text.substr(start, end - start);
      start = end + 1;
      if (NormalizeForMatch(line).size() < 8) continue;
      auto seen = RuleMatcher::FindLiteral(others, line);
      if (!seen.ok()) return seen.status();
      if (seen->empty()) withheld_lines_.push_back(line);
    }
  }
  return Status::Ok();
}

// Where the release goes and what the self-check will look for.
Status DocumentRun::PlanOutputs() {
  out_root_ = record_.held ? (fs::path(ctx_.release_root).parent_path() / "review").string()
                           : ctx_.release_root;
  // The planned name holds unless the file's real kind changes its extension (a PDF named .txt).
  const std::string natural = ReleaseName(source_.relative, source_.kind);
  if (!ctx_.release_name.empty() &&
      fs::path(ctx_.release_name).extension() == fs::path(natural).extension()) {
    release_rel_ = ctx_.release_name;
  } else {
    // Not planned for this kind: its folder and file names are read by the rules here.
    auto named = RedactReleasePath(natural, *ctx_.matcher);
    if (!named.ok()) return named.status();
    release_rel_ = named->path;
  }
  verify_.redacted = RedactedStrings(record_.findings);
  verify_.redacted.insert(verify_.redacted.end(), withheld_lines_.begin(), withheld_lines_.end());
  if (Status s = AddWithheld(); !s.ok()) return s;
  verify_.kept = kept_texts_;
  verify_.kept_around = KeptAroundRedactions(record_.findings);
  verify_.threads = config_.page_jobs;
  auto finder = LiteralFinder::Compile(verify_.redacted);
  if (!finder.ok()) return finder.status();
  redacted_finder_ = std::move(*finder);
  return Status::Ok();
}

// What the input hides (deleted text, comments, hidden text, properties) and what the cleaned
// input still says does not: the release must not contain it either, line by line. The
// reference is the cleaned package's own text, not LibreOffice's print of it, so that content
// the cleaner missed and LibreOffice printed is caught here.
Status DocumentRun::AddWithheld() {
  if (withheld_.empty()) return Status::Ok();
  std::string visible = visible_;
  if (visible.empty()) {
    for (size_t i = 0; i < pages_->size(); ++i) {
      auto page = pages_->Get(i);
      if (!page.ok()) return page.status();
      visible += (*page)->text + "\n";
    }
  }
  for (const std::string& text : withheld_) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      if (NormalizeForMatch(line).size() < 4) continue;
      auto seen = RuleMatcher::FindLiteral(visible, line);
      if (!seen.ok()) return seen.status();
      if (seen->empty()) verify_.redacted.push_back(line);
    }
  }
  return Status::Ok();
}

// write (plain text): the text with every redaction replaced.
Status DocumentRun::WriteText() {
  auto page = pages_->Get(0);
  if (!page.ok()) return page.status();
  const std::string path = (fs::path(out_root_) / release_rel_).string();
  if (Status s = pending_.Add(path, RedactedText(**page, record_.findings)); !s.ok()) return s;
  verify_.text_paths.push_back(pending_.temp_of(0));
  published_rel_.push_back(release_rel_);
  return Status::Ok();
}

// render: each page's pixels with its boxes burnt in, and the words kept around them; made
// while the page's text is at hand, then spilled until the writer wants it.
Status DocumentRun::RenderPages() {
  const size_t n = pages_->size();
  if (config_.report) {
    // As the report shows them: the pages with findings, the first kReportPagesPerDocument of them.
    std::set<int> with_findings;
    for (const Finding& f : record_.findings) with_findings.insert(f.page);
    for (int p : with_findings) {
      if (thumb_pages_.size() >= size_t(kReportPagesPerDocument)) break;
      thumb_pages_.insert(p);
    }
  }
  release_pages_.resize(n);
  sidecar_pages_.resize(n);
  hidden_text_.resize(n);
  Status s = ForEachPage(reading_, reader_options_, reader_.get(), int(n), config_.page_jobs,
                         [this, n](DocumentReader* r, int p) {
                           Status s = RenderPage(r, p);
                           if (ctx_.on_pages) ctx_.on_pages(int(n), ++pages_rendered_, int(n));
                           return s;
                         });
  if (!s.ok()) return s;
  for (size_t p = 0; p < n; ++p) {
    if (!hidden_text_[p].empty()) {
      record_.hidden.push_back({"hidden text", int(p + 1), std::move(hidden_text_[p])});
    }
  }
  return Status::Ok();
}

Status DocumentRun::RenderPage(DocumentReader* reader, int p) {
  const size_t i = size_t(p - 1);
  auto loaded = pages_->Get(i);
  if (!loaded.ok()) return loaded.status();
  const PageText& page = **loaded;
  std::vector<const Finding*> redactions;
  std::vector<LabelledBox> boxes;     // boxes over text: drawn at a width that says nothing
  std::vector<LabelledBox> in_place;  // a reviewer's areas: where and as wide as drawn
  const Finding* withheld = nullptr;  // the reviewer withheld the whole page
  for (const Finding& f : record_.findings) {
    if (f.page != page.page || f.action != Action::kRedact) continue;
    redactions.push_back(&f);
    if (f.rule_id == "manual.page") withheld = &f;
    for (const Box& b : f.boxes) {
      (f.rule_id == "manual.area" ? in_place : boxes).push_back({b, f.exemption, f.box_width});
    }
  }
  auto raster = reader->ReleaseRaster(page.page, record_.page_info[i]);
  if (!raster.ok()) return raster.status();
  const std::vector<bool> hidden = InvisibleWords(page, *raster);
  // The report's views of the page and of its release, the release's made from the page's
  // where nothing changed: only the rows of blocks that the release's boxes and moved lines
  // reach are reduced again, and only the bands of rows that differ compressed again.
  std::string original_png;
  PageView view;
  PngBands bands;
  thread_local PageView outlined;
  if (thumb_pages_.count(page.page)) {
    // Numbered as the report numbers findings: in the record's order.
    std::vector<Outline> outlines;
    const double s = raster->dpi / 72.0;
    for (size_t k = 0; k < record_.findings.size(); ++k) {
      const Finding& f = record_.findings[k];
      if (f.page != page.page) continue;
      for (const Box& b : f.boxes) {
        outlines.push_back(
            {int(b.x0 * s), int(b.y0 * s), int(b.x1 * s), int(b.y1 * s), std::to_string(k + 1)});
      }
    }
    auto reduced = ReducePage(*raster, kReportPageWidth);
    if (reduced.ok()) {
      view = std::move(*reduced);
      outlined.k = view.k;
      outlined.width = view.width;
      outlined.height = view.height;
      outlined.index.assign(view.index.begin(), view.index.end());
      DrawOutlines(outlines, &outlined);
      auto png = PageViewPng(outlined, &bands);
      if (png.ok()) original_png = std::move(*png);
    }
  }
  if (withheld) {
    // Nothing of the page: paper, and a box across it saying it was withheld and why.
    std::fill(raster->pixels.begin(), raster->pixels.end(), uint8_t(255));
    boxes.clear();
    in_place = {
        {{page.width * 0.15, page.height * 0.45, page.width * 0.85, page.height * 0.45 + 28},
         "Page " + std::to_string(page.page) + " withheld: " + withheld->exemption}};
  }
  const int hidden_count = int(std::count(hidden.begin(), hidden.end(), true));
  if (hidden_count > 0) record_.page_info[i].hidden_words = hidden_count;
  ReleasePage rp;
  rp.width = page.width;
  rp.height = page.height;
  if (boxes.empty()) {
    rp.words = KeptWords(page, redactions, hidden);
  } else {
    // A text layer's words fitted to their ink: a font's metrics can make a word's box
    // taller than its line (render/ink_fit.h), and the boxes and lines moved below must
    // not reach into the next line. OCR's words are their ink already.
    // The words of one line (one box height and place from the font) keep one band, the
    // union of their ink, so that the text layer's words of a line still share a baseline;
    // the ink of the words under boxes has no say in it (it would tell their shape).
    PageText fitted = page;
    std::map<std::pair<long, long>, Box> bands;
    auto line_of = [](const Box& b) {
      return std::make_pair(std::lround(b.y0 * 100), std::lround(b.y1 * 100));
    };
    for (const Word& w : page.words) {
      if (w.source != TextSource::kTextLayer) continue;
      const double cx = (w.box.x0 + w.box.x1) / 2, cy = (w.box.y0 + w.box.y1) / 2;
      const bool boxed = std::any_of(boxes.begin(), boxes.end(), [&](const LabelledBox& b) {
        return cx > b.box.x0 && cx < b.box.x1 && cy > b.box.y0 && cy < b.box.y1;
      });
      if (boxed) continue;
      Box& band = bands[line_of(w.box)];
      const Box ink = FitToInk(*raster, w.box);
      if (ink.height() < w.box.height()) band = band.United(ink);
    }
    for (Word& w : fitted.words) {
      if (w.source != TextSource::kTextLayer) continue;
      const Box& band = bands[line_of(w.box)];
      if (band.empty()) continue;
      w.box.y0 = std::max(w.box.y0, band.y0);
      w.box.y1 = std::min(w.box.y1, band.y1);
      for (Box& c : w.char_boxes) {
        c.y0 = std::max(c.y0, band.y0);
        c.y1 = std::min(c.y1, band.y1);
      }
    }
    rp.words = KeptWords(fitted, redactions, hidden);
    std::vector<Box> fitted_boxes;
    for (const Word& w : fitted.words) fitted_boxes.push_back(w.box);
    // Each box kept to its line and grown over the ink of its word: what it erases is the
    // whole of what it hides, whatever the OCR's character boxes said.
    GrowBoxesToInk(*raster, fitted_boxes, &boxes);
    // A kept piece the grown box now covers (a comma joined to a name) is not drawn (reflow
    // copies nothing under a box), so it leaves the text layer too.
    std::erase_if(rp.words, [&](const KeptText& w) {
      const double cx = (w.box.x0 + w.box.x1) / 2, cy = (w.box.y0 + w.box.y1) / 2;
      return std::any_of(boxes.begin(), boxes.end(), [&](const LabelledBox& b) {
        return cx > b.box.x0 && cx < b.box.x1 && cy > b.box.y0 && cy < b.box.y1;
      });
    });
  }
  // A withheld page's text layer says what its pixels say (a reader searching or listening
  // to the release learns the page was withheld, and why).
  if (withheld) rp.words = {{in_place.front().label, in_place.front().box}};
  // No box as wide as what it hides: each at a quantised width, its line moved to fit, in the
  // pixels and in the kept words alike (render/reflow.h).
  std::vector<LabelledBox> drawn_boxes;  // the boxes as found, for the rows they redraw
  std::vector<LineMove> moves;
  if (!boxes.empty()) {
    if (!original_png.empty()) drawn_boxes = boxes;
    std::vector<Box> kept;
    for (const KeptText& w : rp.words) kept.push_back(w.box);
    // The text edge: where the visible text reaches (a hidden or off-page word must not
    // make every real line look short of it).
    double text_right = 0;
    for (const Box& b : kept) text_right = std::max(text_right, b.x1);
    for (const LabelledBox& b : boxes) text_right = std::max(text_right, b.box.x1);
    moves = ReflowRedactions(&*raster, &boxes, kept, text_right);
    for (KeptText& w : rp.words) w.box = MovedBox(moves, w.box);
  }
  boxes.insert(boxes.end(), in_place.begin(), in_place.end());
  // Each box as the release's text layer and structure tell of it (write/release_pdf.h); a
  // withheld page's text layer says why already.
  if (!withheld) {
    for (const LabelledBox& b : boxes) {
      rp.boxes.push_back({b.box, b.label.empty() ? "[REDACTED]" : "[REDACTED " + b.label + "]"});
    }
  }
  auto encoded = EncodeWithoutRedactedBytes(&*raster, boxes);
  if (!encoded.ok()) return encoded.status();
  rp.image = std::move(*encoded);
  if (!original_png.empty()) {
    // The rows the release's boxes and moved lines were drawn in, the first (where a pixel
    // may have been nudged), or for a withheld page, all.
    std::vector<std::pair<int, int>> redrawn = RedrawnRows(*raster, drawn_boxes, boxes, moves);
    redrawn.emplace_back(0, withheld ? raster->height : 1);
    const Status reduced = ReduceRows(*raster, redrawn, &view);  // its boxes burnt in
    auto release_png = reduced.ok() ? PageViewPng(view, &bands) : Result<std::string>(reduced);
    if (release_png.ok()) {
      std::lock_guard<std::mutex> lock(thumbs_mu_);
      thumbs_[page.page] = {std::move(original_png), std::move(*release_png)};
    }
  }
  auto spilled = SpillReleasePage(rp, spill_.get());
  if (!spilled.ok()) return spilled.status();
  release_pages_[i] = *spilled;
  if (config_.sidecar) sidecar_pages_[i] = RedactedText(page, record_.findings, hidden);
  for (size_t w = 0; w < page.words.size() && w < hidden.size(); ++w) {
    if (!hidden[w]) continue;
    if (!hidden_text_[i].empty()) hidden_text_[i] += ' ';
    hidden_text_[i] += page.words[w].text;
  }
  pages_->Drop(i);
  return Status::Ok();
}

// Compressed image bytes are noise to a reader, but a checker that greps the file's bytes (as
// many auditors do) would see a redacted word that happens to occur in them ("mi5" in a G4
// stream). A corner pixel is nudged until none does.
Result<EncodedImage> DocumentRun::EncodeWithoutRedactedBytes(
    GrayImage* raster, const std::vector<LabelledBox>& boxes) const {
  auto encoded = RenderReleasePage(raster, boxes);
  for (int nudge = 0; encoded.ok() && nudge < 16; ++nudge) {
    auto hit = redacted_finder_->Find(encoded->data);
    if (!hit.ok()) return hit.status();
    if (hit->empty()) break;
    uint8_t& corner = raster->pixels[size_t(nudge % raster->width)];
    corner = corner < 128 ? 255 : 0;
    encoded = RenderReleasePage(raster, boxes);
  }
  return encoded;
}

// write (PDF): the release from the spilled pages, and its .txt sidecar.
Status DocumentRun::WritePdf() {
  auto temp = pending_.Reserve((fs::path(out_root_) / release_rel_).string());
  if (!temp.ok()) return temp.status();
  WriterOptions writer;
  writer.producer = std::string("redact ") + kVersion;
  writer.threads = config_.page_jobs;
  writer.env = ctx_.env;
  writer.title = fs::path(release_rel_).stem().string();  // the checked release name
  Status s = WriteReleasePdfFile(release_pages_, *spill_, writer, *temp);
  spill_.reset();
  if (!s.ok()) return s;
  verify_.pdf_path = pending_.temp_of(0);
  published_rel_.push_back(release_rel_);
  if (!config_.sidecar) return Status::Ok();
  const std::string sidecar_rel = ctx_.sidecar_name.empty()
                                      ? fs::path(release_rel_).replace_extension(".txt").string()
                                      : ctx_.sidecar_name;
  // Pages joined as RedactedDocumentText joins them: form feeds, each ending a line.
  std::string sidecar;
  for (size_t i = 0; i < sidecar_pages_.size(); ++i) {
    if (i > 0) sidecar += "\f";
    sidecar += sidecar_pages_[i];
    if (sidecar.empty() || sidecar.back() != '\n') sidecar += "\n";
    std::string().swap(sidecar_pages_[i]);
  }
  s = pending_.Add((fs::path(out_root_) / sidecar_rel).string(), sidecar);
  if (!s.ok()) return s;
  verify_.text_paths.push_back(pending_.temp_of(1));
  published_rel_.push_back(sidecar_rel);
  return Status::Ok();
}

// verify: the release read back by other means than detection used (see verify.h).
Status DocumentRun::Verify() {
  if (Status s = VerifyRelease(verify_, *ctx_.matcher, &selfcheck_found_); !s.ok()) return s;
  // Its path is published with it: read by the rules again, and searched for every string the
  // document redacts ("Okafor" in "okafor-interview.pdf"), like its text.
  for (const std::string& rel : published_rel_) {
    if (Status s = CheckReleasePath(rel, *ctx_.matcher, &*redacted_finder_); !s.ok()) return s;
  }
  return Status::Ok();
}

// publish: hashes for the record, then every output renamed into place.
Status DocumentRun::Publish() {
  const std::string out_dir = fs::path(out_root_).filename().string();  // release or review
  for (size_t i = 0; i < pending_.size(); ++i) {
    auto sha = Sha256File(pending_.temp_of(i));
    if (!sha.ok()) return sha.status();
    record_.outputs.push_back({out_dir + "/" + published_rel_[i], *sha});
  }
  Status s = pending_.Publish();
  if (!s.ok()) {
    record_.outputs.clear();
    return s;
  }
  // The report's page views, in one archive named by the release's own sha256: a report
  // finds the views of the release it describes, never an earlier run's. One that cannot be
  // written (or is lost in a crash: it is not synced) is not a failure: the report renders
  // what is missing.
  if (!thumbs_.empty() && !record_.outputs.empty()) {
    const fs::path archive = fs::path(ctx_.release_root).parent_path() / "audit" / "pages" /
                             (record_.outputs.front().sha256 + ".tar");
    std::vector<std::pair<std::string, std::string>> files;
    for (auto& [p, views] : thumbs_) {
      files.emplace_back(std::to_string(p) + "-original.png", std::move(views.first));
      files.emplace_back(std::to_string(p) + "-release.png", std::move(views.second));
    }
    (void)WriteFileAtomicUnsynced(archive.string(), TarArchive(files), ctx_.env);
  }
  return s;
}

}  // namespace

ReaderOptions ReaderOptionsFrom(const JobConfig& c) {
  ReaderOptions o;
  o.password = c.password;
  o.ocr = c.ocr;
  o.dpi = c.dpi;
  o.ocr_dpi = c.ocr_dpi;
  o.max_pages = c.max_pages;
  o.max_page_pixels = c.max_page_pixels;
  o.max_text_bytes = c.max_file_bytes;
  return o;
}

Result<ExtractedDocument> ExtractDocument(DocumentReader* reader) {
  ExtractedDocument doc;
  for (int p = 1; p <= reader->page_count(); ++p) {
    PageInfo info;
    auto text = reader->ReadPage(p, &info);
    if (!text.ok()) return text.status();
    doc.pages.push_back(std::move(*text));
    doc.info.push_back(info);
  }
  return doc;
}

DocumentRecord ProcessDocument(const Source& source, const DocumentContext& ctx) {
  // A rule the self-check still finds in a release (the release reads the draft's words in a
  // way detection did not: a line joined, a table cell read whole) is redacted wherever the
  // draft has that text, and the document is made again from its input: a few rounds, then
  // quarantine, naming what was found and where.
  constexpr int kRounds = 3;
  std::vector<std::pair<std::string, std::string>> also;
  for (int round = 1;; ++round) {
    DocumentRun doc(source, ctx, also);
    const bool text = source.kind == SourceKind::kText;
    const bool office = source.kind == SourceKind::kOffice || source.kind == SourceKind::kEmail;
    // Each step runs only if every step before it succeeded; the first failure is the record's.
    (void)((!office || doc.Step(Stage::kConvert, [&] { return doc.Convert(); })) &&
           doc.Step(Stage::kExtract, [&] { return doc.ReadPages(); }) &&
           doc.Step(Stage::kDetect, [&] { return doc.FindAndDecide(); }) &&
           (text ? doc.Step(Stage::kWrite, [&] { return doc.WriteText(); })
                 : doc.Step(Stage::kRender, [&] { return doc.RenderPages(); }) &&
                       doc.Step(Stage::kWrite, [&] { return doc.WritePdf(); })) &&
           doc.Step(Stage::kVerify, [&] { return doc.Verify(); }) &&
           doc.Step(Stage::kPublish, [&] { return doc.Publish(); }));
    DocumentRecord record = doc.TakeRecord();
    record.selfcheck_rounds = round;
    const SelfCheckFinding& found = doc.selfcheck_found();
    if (record.status.ok() || record.stage != Stage::kVerify || found.text.empty()) return record;
    const bool again = round < kRounds && !found.rule_id.empty() &&
                       std::none_of(also.begin(), also.end(), [&](const auto& a) {
                         return NormalizeForMatch(a.first) == NormalizeForMatch(found.text);
                       });
    if (again) {
      also.emplace_back(found.text, found.rule_id);
      continue;
    }
    // Quarantined: the self-check's message names what it found (batch/record.cpp keeps a
    // keyed hash of it where the audit keeps no text); say where, after how many rounds, and
    // what to do.
    const std::string where =
        found.page > 0 ? "page " + std::to_string(found.page) + " of the release" : "the release";
    record.status = Status::Leak(
        record.status.message() + " (" + where +
            (round > 1 ? ", still after " + std::to_string(round) + " rounds" : "") + ")",
        "The release was not published. Redact that text by hand (redact review, or a [[redact]] "
        "text in decisions.toml) and run the document again; if the draft does not hold it, "
        "report this document.");
    return record;
  }
}

DocumentRecord ProcessFile(const std::string& path, const std::string& relative,
                           const DocumentContext& ctx) {
  IngestLimits limits;
  limits.max_file_bytes = ctx.config->max_file_bytes;
  auto source = IngestFile(path, relative, limits);
  if (!source.ok()) return FailedRecord(path, relative, Stage::kIngest, source.status());
  return ProcessDocument(*source, ctx);
}

}  // namespace redact
