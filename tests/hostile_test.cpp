// Broken and hostile inputs: each gets a release or a clear error in quarantine/, in bounded
// time and memory, and the batch carries on.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "tests/test_util.h"

namespace redact::testing {
namespace {

using nlohmann::json;

uint32_t Crc32(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string BigEndian(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string PngChunk(const std::string& type, const std::string& data) {
  return BigEndian(uint32_t(data.size())) + type + data + BigEndian(Crc32(type + data));
}

// A PNG whose header claims width x height pixels (8-bit grey) but holds almost nothing.
std::string PngClaiming(uint32_t width, uint32_t height) {
  std::string ihdr = BigEndian(width) + BigEndian(height) + std::string("\x08\x00\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + PngChunk("IHDR", ihdr) +
         PngChunk("IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8)) +
         PngChunk("IEND", "");
}

// A one-object-per-line PDF with a correct xref table, from the objects' bodies.
std::string MakePdf(const std::vector<std::string>& objects,
                    const std::string& trailer_extra = "") {
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t o : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R " +
         trailer_extra + ">>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

json ErrorJson(const std::string& out, const std::string& name) {
  return json::parse(ReadAll(out + "/quarantine/" + name + ".error.json"), nullptr, false);
}

// Released, or quarantined with a reason: never lost, never silent.
void ExpectAccountedFor(const std::string& out, const std::string& name) {
  const bool released = fs::exists(out + "/release/" + name);
  const json e = ErrorJson(out, name);
  EXPECT_TRUE(released || (e.is_object() && !e["error"].get<std::string>().empty()))
      << name << " is neither released nor quarantined with a reason";
}

TEST(Hostile, PageTreeLoopsXrefLoopsAndDeepNestingEndInBoundedTime) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  // Kids pointing back at their own parent.
  WriteAll(in + "/page-tree-loop.pdf",
           MakePdf({"<< /Type /Catalog /Pages 2 0 R >>",
                    "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                    "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"}));
  // An xref chain whose /Prev points at itself.
  std::string xref_loop =
      MakePdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"});
  const size_t startxref = xref_loop.rfind("startxref\n") + 10;
  const std::string xref_at =
      xref_loop.substr(startxref, xref_loop.find('\n', startxref) - startxref);
  xref_loop.replace(xref_loop.rfind("/Root 1 0 R "), 12, "/Root 1 0 R /Prev " + xref_at + " ");
  WriteAll(in + "/xref-loop.pdf", xref_loop);
  // 100,000 nested arrays in the page dictionary.
  WriteAll(
      in + "/deep-nesting.pdf",
      MakePdf({"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Junk " +
                   std::string(100000, '[') + std::string(100000, ']') + " >>"}));
  WriteAll(in + "/good.txt", "The answer is 42.\n");
  auto start = std::chrono::steady_clock::now();
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q --timeout 60");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.out;
  EXPECT_LT(secs, 120) << "bounded by --timeout";
  EXPECT_TRUE(fs::exists(out + "/release/good.txt"));
  for (const char* name : {"page-tree-loop.pdf", "xref-loop.pdf", "deep-nesting.pdf"}) {
    ExpectAccountedFor(out, name);
  }
}

TEST(Hostile, AFlateStreamThatInflatesToGigabytesIsStoppedAndTheBatchCarriesOn) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  fs::create_directories(in);
  // 4 GiB of zeros, deflated to about 4 MB, as a page's content stream.
  CommandResult make = RunCommand(
      "/usr/bin/python3 -c \"import zlib,sys\n"
      "c=zlib.compressobj(9)\nz=b''.join(c.compress(bytes(64<<20)) for _ in range(64))+c.flush()\n"
      "objs=[b'<< /Type /Catalog /Pages 2 0 R >>',b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',"
      "b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',"
      "b'<< /Length %d /Filter /FlateDecode >>\\nstream\\n' % len(z) + z + b'\\nendstream']\n"
      "out=b'%PDF-1.4\\n'; offs=[]\n"
      "for i,o in enumerate(objs): offs.append(len(out)); out+=b'%d 0 obj\\n' % (i+1) + o + "
      "b'\\nendobj\\n'\n"
      "x=len(out); out+=b'xref\\n0 5\\n0000000000 65535 f \\n'+b''.join(b'%010d 00000 n \\n' % "
      "o for o in offs)\n"
      "out+=b'trailer\\n<< /Size 5 /Root 1 0 R >>\\nstartxref\\n%d\\n%%%%EOF\\n' % x\n"
      "open(sys.argv[1],'wb').write(out)\" " +
      Quote(in + "/bomb.pdf"));
  ASSERT_EQ(make.exit_code, 0) << make.out;
  ASSERT_LT(fs::file_size(in + "/bomb.pdf"), uint64_t(16) << 20);
  WriteAll(in + "/good.txt", "The answer is 42.\n");
  auto start = std::chrono::steady_clock::now();
  CommandResult r =
      Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q --timeout 15 --max-memory-mb 1024");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.out;
  EXPECT_LT(secs, 90);
  EXPECT_TRUE(fs::exists(out + "/release/good.txt"));
  ExpectAccountedFor(out, "bomb.pdf");
}

TEST(Hostile, APngClaimingTenGigapixelsIsRefusedBeforeDecoding) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  WriteAll(in + "/huge.png", PngClaiming(100000, 100000));
  // The same picture named .pdf is still a PNG: kinds come from the bytes, not the name.
  WriteAll(in + "/huge-named.pdf", PngClaiming(100000, 100000));
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  for (const char* name : {"huge.png", "huge-named.pdf"}) {
    json e = ErrorJson(out, name);
    ASSERT_TRUE(e.is_object()) << name;
    EXPECT_NE(e["error"].get<std::string>().find("pixels"), std::string::npos) << e.dump();
    EXPECT_EQ(e["code"], "too large") << e.dump();
  }
}

TEST(Hostile, APngNamedPdfIsReadAsTheImageItIs) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  fs::create_directories(in);
  ASSERT_EQ(RunCommand("pdftoppm -r 150 -gray -png -f 1 -l 1 -singlefile " +
                       Quote(Sample("police-remote-devices-draft.pdf")) + " " + Quote(dir / "page"))
                .exit_code,
            0);
  fs::copy_file(dir / "page.png", in + "/scan.pdf");
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json doc = AuditRecords(out).at(1);
  EXPECT_EQ(doc["kind"], "png");
  EXPECT_EQ(doc["page_info"][0]["source"], "ocr");
  EXPECT_GT(doc["redactions"].get<int>(), 0);
  EXPECT_NE(PdfText(out + "/release/scan.pdf").find("Freedom of Information"), std::string::npos);
}

TEST(Hostile, TenThousandPagesAreRefusedOverTheLimitAtOnce) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  fs::create_directories(in);
  CommandResult make = RunCommand(
      "/usr/bin/python3 -c \"import fitz,sys\nd=fitz.open()\n"
      "[d.new_page(width=200,height=200) for _ in range(10000)]\nd.save(sys.argv[1])\" " +
      Quote(in + "/long.pdf"));
  if (make.exit_code != 0) GTEST_SKIP() << "python3-fitz is needed: " << make.out;
  auto start = std::chrono::steady_clock::now();
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q --max-pages 2000");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_LT(secs, 30);
  json e = ErrorJson(out, "long.pdf");
  EXPECT_NE(e["error"].get<std::string>().find("10000 pages"), std::string::npos) << e.dump();
  EXPECT_NE(e["hint"].get<std::string>().find("--max-pages"), std::string::npos) << e.dump();
}

TEST(Hostile, NamesWithSpacesUnicodeAndNewlinesKeepTheirNames) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  const std::vector<std::string> names = {"with space.txt", "caf\xC3\xA9 r\xC3\xA9sum\xC3\xA9.txt",
                                          "line\nbreak.txt", "\xE2\x80\x8Bzero-width.txt"};
  for (const std::string& n : names) WriteAll(in + "/" + n, "Server 10.9.8.7 is ours.\n");
  WriteAll(in + "/bad\nname.pdf", "");
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  std::set<std::string> audited;
  for (const json& d : AuditRecords(out)) {
    if (d["event"] == "document") audited.insert(d["input"].get<std::string>());
  }
  for (const std::string& n : names) {
    const std::string release = ReadAll(out + "/release/" + n);
    EXPECT_NE(release.find("[REDACTED"), std::string::npos) << n;
    EXPECT_EQ(release.find("10.9.8.7"), std::string::npos) << n;
    EXPECT_TRUE(audited.count(n)) << n;
  }
  json e = ErrorJson(out, "bad\nname.pdf");
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e["relative"], "bad\nname.pdf");
}

TEST(Hostile, SymbolicLinksAreNotFollowed) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  WriteAll(dir / "outside/secret.txt", "GCHQ liaison: 10.1.1.1\n");
  WriteAll(in + "/inside.txt", "Nothing here.\n");
  fs::create_symlink(dir / "outside/secret.txt", in + "/link.txt");
  fs::create_directory_symlink(dir / "outside", in + "/linked-folder");
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::exists(out + "/release/inside.txt"));
  EXPECT_FALSE(fs::exists(out + "/release/link.txt"));
  EXPECT_FALSE(fs::exists(out + "/release/linked-folder"));
  EXPECT_NE(r.out.find("link.txt (symbolic link, not followed)"), std::string::npos) << r.out;
  EXPECT_EQ(ReadAll(out + "/audit/audit.jsonl").find("secret.txt"), std::string::npos);
}

}  // namespace
}  // namespace redact::testing
