#include "pipeline/write/release_pdf.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "pipeline/core/text.h"

namespace redact {
namespace {

// Type 3 fonts address 255 codes; a page with more distinct characters gets more fonts.
constexpr int kCodesPerFont = 255;
// Every glyph is 0.5 em wide; words are stretched to their box with Tz.
constexpr int kGlyphWidth = 500;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0" || s.empty()) s = "0";
  return s;
}

std::string Hex2(int v) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02X", v & 0xFF);
  return buf;
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
    auto it = codes_.find(c);
    if (it != codes_.end()) return it->second;
    std::pair<int, int> fc;
    if (c >= 0x20 && c < 0x7F) {
      fc = {0, int(c)};
    } else {
      while (true) {
        if (next_code_ > kCodesPerFont) {
          ++next_font_;
          next_code_ = 1;
        }
        fc = {next_font_, next_code_++};
        if (next_font_ == 0 && fc.second >= 0x20 && fc.second < 0x7F) continue;
        break;
      }
    }
    codes_[c] = fc;
    fonts_used_ = std::max(fonts_used_, fc.first + 1);
    by_font_[fc.first][fc.second] = c;
    return fc;
  }
  int fonts_used() const { return fonts_used_; }
  const std::map<int, char32_t>& font_codes(int font) { return by_font_[font]; }

 private:
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
  return pdf.makeIndirectObject(font);
}

// The text layer of one page; fills `map` with the codes it uses.
std::string TextLayer(const ReleasePage& page, CodeMap* map) {
  std::string s;
  if (page.words.empty()) return s;
  s += "BT\n3 Tr\n";
  int current_font = -1;
  double current_size = -1;
  for (const KeptText& w : page.words) {
    std::vector<char32_t> cps = DecodeUtf8(w.text);
    if (cps.empty() || w.box.empty()) continue;
    double size = std::max(w.box.height(), 1.0);
    double natural = double(cps.size()) * kGlyphWidth / 1000.0 * size;
    double scale = std::clamp(100.0 * w.box.width() / natural, 1.0, 1000.0);
    // The baseline sits at 20% of the box height above its bottom (FontBBox descent).
    double x = w.box.x0;
    double y = page.height - (w.box.y1 - 0.2 * size);
    // Split into runs per font.
    std::vector<std::pair<int, std::string>> runs;
    for (char32_t c : cps) {
      auto [font, code] = map->Code(c);
      if (runs.empty() || runs.back().first != font) runs.push_back({font, ""});
      runs.back().second += Hex2(code);
    }
    s += Num(scale) + " Tz\n1 0 0 1 " + Num(x) + " " + Num(y) + " Tm\n";
    for (const auto& [font, hex] : runs) {
      if (font != current_font || size != current_size) {
        s += "/T" + std::to_string(font) + " " + Num(size) + " Tf\n";
        current_font = font;
        current_size = size;
      }
      s += "<" + hex + "> Tj\n";
    }
  }
  s += "ET\n";
  return s;
}

}  // namespace

namespace {

// Builds the release in `pdf` from `pages`. When `drop` is set the pages' image bytes are
// freed as soon as qpdf has its own copy, so a long document is not held twice.
void BuildRelease(QPDF& pdf, std::vector<ReleasePage>* pages, bool drop,
                  const WriterOptions& options) {
  {
    pdf.emptyPDF();
    QPDFPageDocumentHelper helper(pdf);
    CodeMap codes;
    std::vector<QPDFObjectHandle> page_objects;
    for (ReleasePage& page : *pages) {
      EncodedImage& img = page.image;
      QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf);
      QPDFObjectHandle dict = image.getDict();
      dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
      dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
      dict.replaceKey("/Width", QPDFObjectHandle::newInteger(img.width));
      dict.replaceKey("/Height", QPDFObjectHandle::newInteger(img.height));
      dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceGray"));
      if (img.encoding == ImageEncoding::kG4) {
        dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(1));
        QPDFObjectHandle parms = QPDFObjectHandle::newDictionary();
        parms.replaceKey("/K", QPDFObjectHandle::newInteger(-1));
        parms.replaceKey("/Columns", QPDFObjectHandle::newInteger(img.width));
        parms.replaceKey("/Rows", QPDFObjectHandle::newInteger(img.height));
        parms.replaceKey("/BlackIs1", QPDFObjectHandle::newBool(false));
        image.replaceStreamData(img.data, QPDFObjectHandle::newName("/CCITTFaxDecode"), parms);
      } else {
        dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
        image.replaceStreamData(img.data, QPDFObjectHandle::newName("/DCTDecode"),
                                QPDFObjectHandle::newNull());
      }
      std::string content = "q " + Num(page.width) + " 0 0 " + Num(page.height) +
                            " 0 0 cm /Im0 Do Q\n" + TextLayer(page, &codes);
      if (drop) std::string().swap(img.data);
      QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
      QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
      xobjects.replaceKey("/Im0", image);
      resources.replaceKey("/XObject", xobjects);
      QPDFObjectHandle p = QPDFObjectHandle::newDictionary();
      p.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
      QPDFObjectHandle box = QPDFObjectHandle::newArray();
      box.appendItem(QPDFObjectHandle::newInteger(0));
      box.appendItem(QPDFObjectHandle::newInteger(0));
      box.appendItem(QPDFObjectHandle::newReal(page.width, 2));
      box.appendItem(QPDFObjectHandle::newReal(page.height, 2));
      p.replaceKey("/MediaBox", box);
      p.replaceKey("/Resources", resources);
      p.replaceKey("/Contents", QPDFObjectHandle::newStream(&pdf, content));
      page_objects.push_back(p);
    }
    // Fonts last: they hold every code the pages used. All pages share them.
    QPDFObjectHandle fonts = QPDFObjectHandle::newDictionary();
    for (int f = 0; f < codes.fonts_used(); ++f) {
      fonts.replaceKey("/T" + std::to_string(f), MakeFont(pdf, codes.font_codes(f)));
    }
    for (QPDFObjectHandle& p : page_objects) {
      if (codes.fonts_used() > 0) p.getKey("/Resources").replaceKey("/Font", fonts);
      helper.addPage(pdf.makeIndirectObject(p), false);
    }
    QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
    info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString(options.producer));
    pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));
  }
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
    std::vector<ReleasePage> copy = pages;
    BuildRelease(pdf, &copy, false, options);
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    Configure(&writer);
    writer.write();
    std::shared_ptr<Buffer> buf = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  } catch (const std::exception& e) {
    return Status::Engine(std::string("qpdf could not write the release PDF: ") + e.what());
  }
}

Status WriteReleasePdfFile(std::vector<ReleasePage> pages, const WriterOptions& options,
                           const std::string& path) {
  try {
    QPDF pdf;
    BuildRelease(pdf, &pages, true, options);
    pages.clear();
    {
      QPDFWriter writer(pdf, path.c_str());
      Configure(&writer);
      writer.write();
    }
    // Durable before it is renamed into place, like every other output.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return Status::Io("cannot sync " + path + ": " + std::strerror(errno));
    }
    ::close(fd);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Engine(std::string("qpdf could not write the release PDF: ") + e.what());
  }
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
