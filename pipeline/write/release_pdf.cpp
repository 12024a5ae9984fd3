#include "pipeline/write/release_pdf.h"

#include <qpdf/Buffer.hh>
#include <qpdf/Pipeline.hh>
#include <qpdf/Pl_Flate.hh>
#include <qpdf/Pl_String.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "pipeline/core/bytes.h"
#include "pipeline/core/text.h"

namespace redact {
namespace {

// Type 3 fonts address 255 codes; a page with more distinct characters gets more fonts.
constexpr int kCodesPerFont = 255;
// Every glyph is 0.5 em wide; each word is sized and stretched to its box by its text matrix.
constexpr int kGlyphWidth = 500;

// A number for a content stream: two decimals at most, no trailing zeros ("12.5", "0").
std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  if (ec != std::errc()) return "0";
  std::string s(buf, end);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0" || s.empty()) s = "0";
  return s;
}

void AppendHex2(std::string* out, int v) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out->push_back(kDigits[(v >> 4) & 0xF]);
  out->push_back(kDigits[v & 0xF]);
}

std::string Hex2(int v) {
  std::string s;
  AppendHex2(&s, v);
  return s;
}

std::string Utf16Hex(char32_t c) {
  char buf[16];
  if (c < 0x10000) {
    std::snprintf(buf, sizeof buf, "%04X", unsigned(c));
  } else {
    char32_t v = c - 0x10000;
    std::snprintf(buf, sizeof buf, "%04X%04X", unsigned(0xD800 + (v >> 10)),
                  unsigned(0xDC00 + (v & 0x3FF)));
  }
  return buf;
}

// Maps code points to (font, code). ASCII keeps its own code in the first font, so a plain
// content stream stays readable when debugging.
class CodeMap {
 public:
  std::pair<int, int> Code(char32_t c) {
    // Printable ASCII is itself in font 0: most text, looked up without the map.
    if (c >= 0x20 && c < 0x7F) {
      if (!ascii_seen_[c - 0x20]) {
        ascii_seen_[c - 0x20] = true;
        by_font_[0][int(c)] = c;
        fonts_used_ = std::max(fonts_used_, 1);
      }
      return {0, int(c)};
    }
    auto it = codes_.find(c);
    if (it != codes_.end()) return it->second;
    std::pair<int, int> fc;
    while (true) {
      if (next_code_ > kCodesPerFont) {
        ++next_font_;
        next_code_ = 1;
      }
      fc = {next_font_, next_code_++};
      if (next_font_ == 0 && fc.second >= 0x20 && fc.second < 0x7F) continue;
      break;
    }
    codes_[c] = fc;
    fonts_used_ = std::max(fonts_used_, fc.first + 1);
    by_font_[fc.first][fc.second] = c;
    return fc;
  }
  // The code of a character Code() has already numbered; safe to call from many threads
  // once numbering is over.
  std::pair<int, int> Lookup(char32_t c) const {
    if (c >= 0x20 && c < 0x7F) return {0, int(c)};
    auto it = codes_.find(c);
    if (it == codes_.end()) throw std::logic_error("a character was not numbered before use");
    return it->second;
  }
  int fonts_used() const { return fonts_used_; }
  const std::map<int, char32_t>& font_codes(int font) { return by_font_[font]; }

 private:
  bool ascii_seen_[0x7F - 0x20] = {};
  std::map<char32_t, std::pair<int, int>> codes_;
  std::map<int, std::map<int, char32_t>> by_font_;
  int next_font_ = 0;
  int next_code_ = 1;
  int fonts_used_ = 0;
};

std::string ToUnicodeCMap(const std::map<int, char32_t>& codes) {
  std::string s =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
      "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n";
  std::vector<std::pair<int, char32_t>> v(codes.begin(), codes.end());
  for (size_t i = 0; i < v.size(); i += 100) {
    size_t n = std::min<size_t>(100, v.size() - i);
    s += std::to_string(n) + " beginbfchar\n";
    for (size_t k = i; k < i + n; ++k) {
      s += "<" + Hex2(v[k].first) + "> <" + Utf16Hex(v[k].second) + ">\n";
    }
    s += "endbfchar\n";
  }
  s += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  return s;
}

QPDFObjectHandle MakeFont(QPDF& pdf, const std::map<int, char32_t>& codes) {
  // One empty glyph serves every code: the text is never drawn (render mode 3).
  QPDFObjectHandle glyph = QPDFObjectHandle::newStream(&pdf, std::string("500 0 d0\n"));
  QPDFObjectHandle procs = QPDFObjectHandle::newDictionary();
  procs.replaceKey("/g", glyph);
  QPDFObjectHandle diffs = QPDFObjectHandle::newArray();
  diffs.appendItem(QPDFObjectHandle::newInteger(1));
  QPDFObjectHandle widths = QPDFObjectHandle::newArray();
  for (int c = 1; c <= kCodesPerFont; ++c) {
    diffs.appendItem(QPDFObjectHandle::newName("/g"));
    widths.appendItem(QPDFObjectHandle::newInteger(kGlyphWidth));
  }
  QPDFObjectHandle enc = QPDFObjectHandle::newDictionary();
  enc.replaceKey("/Type", QPDFObjectHandle::newName("/Encoding"));
  enc.replaceKey("/Differences", diffs);
  QPDFObjectHandle font = QPDFObjectHandle::parse(
      "<< /Type /Font /Subtype /Type3 /FontBBox [0 -200 1000 800] "
      "/FontMatrix [0.001 0 0 0.001 0 0] /FirstChar 1 /LastChar 255 /Resources << >> >>");
  font.replaceKey("/CharProcs", procs);
  font.replaceKey("/Encoding", enc);
  font.replaceKey("/Widths", widths);
  font.replaceKey("/ToUnicode", QPDFObjectHandle::newStream(&pdf, ToUnicodeCMap(codes)));
  // Its ascent and descent said, so that a reader's word boxes are the boxes we placed (0.8
  // above the baseline, 0.2 below): without them Poppler takes 0.95 and 0.35, and every
  // word of the text layer reaches into the lines above and below it.
  font.replaceKey("/FontDescriptor",
                  pdf.makeIndirectObject(QPDFObjectHandle::parse(
                      "<< /Type /FontDescriptor /FontName /RedactTextLayer /Flags 4 "
                      "/FontBBox [0 -200 1000 800] /ItalicAngle 0 /Ascent 800 /Descent -200 "
                      "/CapHeight 800 /StemV 80 >>")));
  return pdf.makeIndirectObject(font);
}

// The text layer of one page; fills `map` with the codes it uses.
// The invisible text layer: each word placed by a text matrix that scales the unit-size
// font to the word's height and stretches it to the word's width, so fonts change (Tf) only
// when a word needs characters of another font. (A Tf per word made Poppler's text
// extraction re-examine the Type 3 font for every word.)
std::string TextLayer(const std::vector<KeptText>& words, double page_height, const CodeMap& map) {
  std::string s;
  if (words.empty()) return s;
  s += "BT\n3 Tr\n";
  int current_font = -1;
  std::vector<char32_t> cps;
  for (const KeptText& w : words) {
    cps = DecodeUtf8(w.text);
    if (cps.empty() || w.box.empty()) continue;
    double size = std::max(w.box.height(), 1.0);
    double natural = double(cps.size()) * kGlyphWidth / 1000.0 * size;
    double stretch = std::clamp(w.box.width() / natural, 0.01, 10.0);
    // Baseline near the bottom of the box (descenders take ~20% of the size).
    double x = w.box.x0;
    double y = page_height - (w.box.y1 - 0.2 * size);
    s += Num(size * stretch) + " 0 0 " + Num(size) + " " + Num(x) + " " + Num(y) + " Tm\n";
    // Runs of characters in one font, each shown with one Tj.
    bool open = false;
    for (char32_t c : cps) {
      auto [font, code] = map.Lookup(c);
      if (font != current_font) {
        if (open) s += "> Tj\n";
        open = false;
        s += "/T" + std::to_string(font) + " 1 Tf\n";
        current_font = font;
      }
      if (!open) s += "<";
      open = true;
      AppendHex2(&s, code);
    }
    if (open) s += "> Tj\n";
  }
  s += "ET\n";
  return s;
}

// Gives every character of a page its code, in the order TextLayer meets them, without
// writing the stream.
void AssignCodes(const std::vector<KeptText>& words, CodeMap* map) {
  for (const KeptText& w : words) {
    if (w.box.empty()) continue;
    for (char32_t c : DecodeUtf8(w.text)) map->Code(c);
  }
}

}  // namespace

namespace {

// What the writer needs of each page, asked for when it is needed: the pages' image bytes and
// words can wait elsewhere (a spill file) until qpdf writes them out.
class PageAccess {
 public:
  struct Shape {
    double width = 0, height = 0;  // points
    ImageEncoding encoding = ImageEncoding::kG4;
    int pixel_width = 0, pixel_height = 0;
  };
  virtual ~PageAccess() = default;
  virtual size_t size() const = 0;
  virtual Shape PageShape(size_t i) const = 0;
  virtual Result<std::vector<KeptText>> Words(size_t i) const = 0;
  virtual Result<std::string> ImageBytes(size_t i) const = 0;
  // The page's content stream, compressed, made before writing and kept until qpdf asks for
  // it. StoreContent is called once per page, from any thread.
  virtual Status StoreContent(size_t i, std::string bytes) = 0;
  virtual Result<std::string> Content(size_t i) const = 0;
};

class MemoryPages : public PageAccess {
 public:
  explicit MemoryPages(const std::vector<ReleasePage>& pages) : pages_(pages) {}
  size_t size() const override { return pages_.size(); }
  Shape PageShape(size_t i) const override {
    const ReleasePage& p = pages_[i];
    return {p.width, p.height, p.image.encoding, p.image.width, p.image.height};
  }
  Result<std::vector<KeptText>> Words(size_t i) const override { return pages_[i].words; }
  Result<std::string> ImageBytes(size_t i) const override { return pages_[i].image.data; }
  Status StoreContent(size_t i, std::string bytes) override {
    contents_[i] = std::move(bytes);
    return Status::Ok();
  }
  Result<std::string> Content(size_t i) const override { return contents_[i]; }

 private:
  const std::vector<ReleasePage>& pages_;
  std::vector<std::string> contents_ = std::vector<std::string>(pages_.size());
};

std::string SerializeWords(const std::vector<KeptText>& words) {
  ByteWriter w;
  w.Put(uint64_t(words.size()));
  for (const KeptText& k : words) {
    w.PutString(k.text);
    w.Put(k.box);
  }
  return w.Take();
}

Result<std::vector<KeptText>> ParseWords(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t n = 0;
  std::vector<KeptText> words;
  bool ok = r.Get(&n) && n <= bytes.size();
  if (ok) words.resize(size_t(n));
  for (size_t i = 0; ok && i < words.size(); ++i) {
    ok = r.GetString(&words[i].text) && r.Get(&words[i].box);
  }
  if (!ok || !r.done()) return Status::Engine("a page's kept words did not read back intact");
  return words;
}

class SpilledPages : public PageAccess {
 public:
  SpilledPages(const std::vector<SpilledReleasePage>& pages, SpillFile& spill)
      : pages_(pages), spill_(spill), contents_(pages.size()) {}
  size_t size() const override { return pages_.size(); }
  Shape PageShape(size_t i) const override {
    const SpilledReleasePage& p = pages_[i];
    return {p.width, p.height, p.encoding, p.pixel_width, p.pixel_height};
  }
  Result<std::vector<KeptText>> Words(size_t i) const override {
    auto bytes = spill_.Read(pages_[i].words);
    if (!bytes.ok()) return bytes.status();
    return ParseWords(*bytes);
  }
  Result<std::string> ImageBytes(size_t i) const override { return spill_.Read(pages_[i].image); }
  Status StoreContent(size_t i, std::string bytes) override {
    auto ref = spill_.Append(bytes);
    if (!ref.ok()) return ref.status();
    contents_[i] = *ref;
    return Status::Ok();
  }
  Result<std::string> Content(size_t i) const override { return spill_.Read(contents_[i]); }

 private:
  const std::vector<SpilledReleasePage>& pages_;
  SpillFile& spill_;
  std::vector<SpillFile::Ref> contents_;
};

// A Status on its way out of qpdf's callbacks, where only an exception gets out; caught, and
// returned as it was, by this file's public functions: nothing above them sees an exception.
struct Thrown {
  Status status;
};

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) throw Thrown{r.status()};
  return std::move(*r);
}

// The page content stream: the image over the whole page, then the invisible text layer;
// Flate-compressed (qpdf leaves a stream that is already compressed as it is).
Result<std::string> CompressedPageContent(const PageAccess& pages, size_t i, const CodeMap& codes) {
  auto words = pages.Words(i);
  if (!words.ok()) return words.status();
  const PageAccess::Shape shape = pages.PageShape(i);
  const std::string content = "q " + Num(shape.width) + " 0 0 " + Num(shape.height) +
                              " 0 0 cm /Im0 Do Q\n" + TextLayer(*words, shape.height, codes);
  std::string out;
  Pl_String sink("content", nullptr, out);
  Pl_Flate deflate("deflate", &sink, Pl_Flate::a_deflate);
  deflate.write(reinterpret_cast<const unsigned char*>(content.data()), content.size());
  deflate.finish();
  return out;
}

// Numbers every character (in page order, so the fonts do not depend on the thread count),
// then makes and compresses each page's content stream on `threads` threads.
Status PrepareContents(PageAccess* pages, CodeMap* codes, int threads) {
  for (size_t i = 0; i < pages->size(); ++i) {
    auto words = pages->Words(i);
    if (!words.ok()) return words.status();
    AssignCodes(*words, codes);
  }
  const size_t n = pages->size();
  std::vector<Status> errors(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        auto content = CompressedPageContent(*pages, i, *codes);
        errors[i] = content.ok() ? pages->StoreContent(i, std::move(*content)) : content.status();
      } catch (const Thrown& t) {
        errors[i] = t.status;
      } catch (const std::exception& e) {
        errors[i] = Status::Engine(std::string("cannot make a page's text layer: ") + e.what());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads && size_t(t) < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const Status& e : errors) {
    if (!e.ok()) return e;
  }
  return Status::Ok();
}

// Gives qpdf one page's image or content when it writes that stream, so the file is written
// holding one page's bytes at a time. Every call for a stream gives the same bytes.
class PageStreamProvider : public QPDFObjectHandle::StreamDataProvider {
 public:
  PageStreamProvider(const PageAccess* pages, size_t index, bool image)
      : pages_(pages), index_(index), image_(image) {}
  void provideStreamData(QPDFObjGen const&, Pipeline* pipeline) override {
    std::string data = image_ ? Must(pages_->ImageBytes(index_)) : Must(pages_->Content(index_));
    pipeline->write(reinterpret_cast<const unsigned char*>(data.data()), data.size());
    pipeline->finish();
  }

 private:
  const PageAccess* pages_;
  size_t index_;
  bool image_;
};

// Builds a fresh document in `pdf` from pages whose contents PrepareContents made (so every
// character is numbered before the fonts are made). The page streams are filled in by
// providers while `pdf` is written, so `pages` must outlive the writing.
void BuildRelease(QPDF& pdf, const PageAccess& pages, CodeMap* codes,
                  const WriterOptions& options) {
  pdf.emptyPDF();
  QPDFPageDocumentHelper helper(pdf);
  std::vector<QPDFObjectHandle> page_objects;
  for (size_t i = 0; i < pages.size(); ++i) {
    const PageAccess::Shape shape = pages.PageShape(i);
    QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf);
    QPDFObjectHandle dict = image.getDict();
    dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
    dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
    dict.replaceKey("/Width", QPDFObjectHandle::newInteger(shape.pixel_width));
    dict.replaceKey("/Height", QPDFObjectHandle::newInteger(shape.pixel_height));
    dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceGray"));
    auto image_data = std::make_shared<PageStreamProvider>(&pages, i, true);
    if (shape.encoding == ImageEncoding::kG4) {
      dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(1));
      QPDFObjectHandle parms = QPDFObjectHandle::newDictionary();
      parms.replaceKey("/K", QPDFObjectHandle::newInteger(-1));
      parms.replaceKey("/Columns", QPDFObjectHandle::newInteger(shape.pixel_width));
      parms.replaceKey("/Rows", QPDFObjectHandle::newInteger(shape.pixel_height));
      parms.replaceKey("/BlackIs1", QPDFObjectHandle::newBool(false));
      image.replaceStreamData(image_data, QPDFObjectHandle::newName("/CCITTFaxDecode"), parms);
    } else {
      dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
      image.replaceStreamData(image_data, QPDFObjectHandle::newName("/DCTDecode"),
                              QPDFObjectHandle::newNull());
    }
    QPDFObjectHandle content = QPDFObjectHandle::newStream(&pdf);
    content.replaceStreamData(std::make_shared<PageStreamProvider>(&pages, i, false),
                              QPDFObjectHandle::newName("/FlateDecode"),
                              QPDFObjectHandle::newNull());
    QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
    QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
    xobjects.replaceKey("/Im0", image);
    resources.replaceKey("/XObject", xobjects);
    QPDFObjectHandle p = QPDFObjectHandle::newDictionary();
    p.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
    QPDFObjectHandle box = QPDFObjectHandle::newArray();
    box.appendItem(QPDFObjectHandle::newInteger(0));
    box.appendItem(QPDFObjectHandle::newInteger(0));
    box.appendItem(QPDFObjectHandle::newReal(shape.width, 2));
    box.appendItem(QPDFObjectHandle::newReal(shape.height, 2));
    p.replaceKey("/MediaBox", box);
    p.replaceKey("/Resources", resources);
    p.replaceKey("/Contents", content);
    page_objects.push_back(p);
  }
  // One set of fonts shared by every page (a page-local set would repeat the widths array).
  QPDFObjectHandle fonts = QPDFObjectHandle::newDictionary();
  for (int f = 0; f < codes->fonts_used(); ++f) {
    fonts.replaceKey("/T" + std::to_string(f), MakeFont(pdf, codes->font_codes(f)));
  }
  for (QPDFObjectHandle& p : page_objects) {
    if (codes->fonts_used() > 0) p.getKey("/Resources").replaceKey("/Font", fonts);
    helper.addPage(pdf.makeIndirectObject(p), false);
  }
  QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
  info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString(options.producer));
  pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));
}

void Configure(QPDFWriter* writer) {
  writer->setDeterministicID(true);
  writer->setObjectStreamMode(qpdf_o_generate);
  writer->setCompressStreams(true);
}

}  // namespace

Result<std::string> WriteReleasePdf(const std::vector<ReleasePage>& pages,
                                    const WriterOptions& options) {
  try {
    QPDF pdf;
    MemoryPages access(pages);
    CodeMap codes;
    Status prepared = PrepareContents(&access, &codes, options.threads);
    if (!prepared.ok()) return prepared;
    BuildRelease(pdf, access, &codes, options);
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    Configure(&writer);
    writer.write();
    std::shared_ptr<Buffer> buf = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  } catch (const Thrown& t) {
    return t.status;
  } catch (const std::exception& e) {
    return Status::Engine(std::string("qpdf could not write the release PDF: ") + e.what());
  }
}

Result<SpilledReleasePage> SpillReleasePage(const ReleasePage& page, SpillFile* spill) {
  SpilledReleasePage out;
  out.width = page.width;
  out.height = page.height;
  out.encoding = page.image.encoding;
  out.pixel_width = page.image.width;
  out.pixel_height = page.image.height;
  auto image = spill->Append(page.image.data);
  if (!image.ok()) return image.status();
  auto words = spill->Append(SerializeWords(page.words));
  if (!words.ok()) return words.status();
  out.image = *image;
  out.words = *words;
  return out;
}

namespace {

// qpdf's output stage writing into an Env file, in 64 KiB pieces (qpdf writes a few bytes at
// a time). qpdf can only be stopped by an exception, so a failed write throws its Status; after
// that every write is ignored and finish() never throws, since qpdf also calls them from
// destructors while the exception unwinds.
class EnvPipeline : public Pipeline {
 public:
  explicit EnvPipeline(WritableFile* file) : Pipeline("release file", nullptr), file_(file) {}
  void write(unsigned char const* data, size_t len) override {
    if (!status_.ok()) return;
    buffer_.append(reinterpret_cast<const char*>(data), len);
    if (buffer_.size() >= kPiece && !Send()) throw Thrown{status_};
  }
  void finish() override { Send(); }
  // What is left sent; the first failure, if any.
  Status Close() {
    Send();
    return status_;
  }

 private:
  bool Send() {
    if (status_.ok() && !buffer_.empty()) {
      status_ = file_->Append(buffer_);
      buffer_.clear();
    }
    return status_.ok();
  }

  static constexpr size_t kPiece = 64 << 10;
  WritableFile* file_;
  std::string buffer_;
  Status status_;
};

}  // namespace

Status WriteReleasePdfFile(const std::vector<SpilledReleasePage>& pages, SpillFile& spill,
                           const WriterOptions& options, const std::string& path) {
  auto file = options.env->NewWritableFile(path);
  if (!file.ok()) return file.status();
  EnvPipeline out(file->get());
  Status s;
  try {
    QPDF pdf;
    SpilledPages access(pages, spill);
    CodeMap codes;
    s = PrepareContents(&access, &codes, options.threads);
    if (s.ok()) {
      BuildRelease(pdf, access, &codes, options);
      QPDFWriter writer(pdf);
      writer.setOutputPipeline(&out);
      Configure(&writer);
      writer.write();
      s = out.Close();
    }
  } catch (const Thrown& t) {
    s = t.status;
  } catch (const std::exception& e) {
    s = Status::Engine(std::string("qpdf could not write the release PDF: ") + e.what());
  }
  // Durable before it is renamed into place, like every other output.
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (!s.ok()) {
    (*file)->Close().ok();
    options.env->RemoveFile(path);
  }
  return s;
}

Result<std::string> DecodedPdfContent(const std::string& path) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processFile(path.c_str());
    std::string out = pdf.getTrailer().unparse() + "\n";
    for (QPDFObjectHandle& oh : pdf.getAllObjects()) {
      if (oh.isStream()) {
        QPDFObjectHandle dict = oh.getDict();
        out += dict.unparse() + "\n";
        if (dict.getKey("/Subtype").isNameAndEquals("/Image")) continue;
        std::shared_ptr<Buffer> data = oh.getStreamData(qpdf_dl_generalized);
        out.append(reinterpret_cast<const char*>(data->getBuffer()), data->getSize());
        out += "\n";
      } else {
        out += oh.unparse() + "\n";
      }
    }
    return out;
  } catch (const std::exception& e) {
    return Status::Engine(std::string("qpdf cannot read back the release: ") + e.what());
  }
}

}  // namespace redact
