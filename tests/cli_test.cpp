// Runs the real `redact` binary on samples/ and on broken files made here, and checks what a
// user would: exit codes, release text (pdftotext), bytes, quarantine files, audit records.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipeline/core/hash.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::kSourceDir;
using testing::PdfText;
using testing::Quote;
using testing::ReadAll;
using testing::Redact;
using testing::RunCommand;
using testing::Sample;
using testing::TempDir;
using testing::WriteAll;
namespace fs = std::filesystem;
using nlohmann::json;

using testing::AuditRecords;

json DocumentRecord(const std::string& out, const std::string& input) {
  for (const json& r : AuditRecords(out)) {
    if (r["event"] == "document" && r["input"] == input) return r;
  }
  return json();
}

// Redact() prepends the binary; "batch" is the first argument.
// The tests below were written for properties other than holding flagged documents (which
// CliReview covers); they release the one flagged sample as it is, as batch did before.
testing::CommandResult Batch(const std::string& args) {
  const bool plain = args.find("--help") == std::string::npos;
  return Redact("batch " + args + (plain ? " --release-flagged" : ""));
}

TEST(Cli, BatchSamplesExitsZeroAndMirrorsTheTree) {
  TempDir dir;
  auto r = Batch(Quote(kSourceDir + "/samples") + " -o " + Quote(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("3 released, 0 waiting for a decision, 0 quarantined of 3 documents"),
            std::string::npos)
      << r.out;
  for (const char* f : {"police-remote-devices-draft.pdf", "police-remote-devices-draft.txt",
                        "council/staff-contacts-draft.pdf", "council/staff-contacts-draft.txt",
                        "council/network-upgrade-draft.txt"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / ("out/release/" + std::string(f)))) << f;
  }
  // No temporary files left behind.
  for (auto& e : fs::recursive_directory_iterator(dir / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

TEST(Cli, PoliceSampleReleaseKeepsStatutoryWordingAndLosesTheSecrets) {
  TempDir dir;
  ASSERT_EQ(Batch(Quote(kSourceDir + "/samples") + " -o " + Quote(dir / "out") + " -q").exit_code,
            0);
  std::string pdf = dir / "out/release/police-remote-devices-draft.pdf";
  std::string text = PdfText(pdf);
  for (const char* keep :
       {"Section 23(5) Information supplied by or concerning certain Security Bodies",
        "Section 24(2) National Security", "Section 31(3) Law Enforcement",
        "2,417 devices as at 27 February 2017", "Which encryption is used for data in motion",
        "section 31(1)(a) of the Freedom of Information Act 2000"}) {
    EXPECT_NE(text.find(keep), std::string::npos) << "missing: " << keep << "\n" << text;
  }
  // Decompressed bytes, the sidecar, the text layer: none holds a redacted string.
  std::string qdf = dir / "qdf.pdf";
  ASSERT_EQ(RunCommand("qpdf --qdf --object-streams=disable --decode-level=all " + Quote(pdf) +
                       " " + Quote(qdf))
                .exit_code,
            0);
  std::string bytes =
      ReadAll(qdf) + ReadAll(pdf) + ReadAll(dir / "out/release/police-remote-devices-draft.txt");
  for (const char* secret :
       {"vpn-gw01", "10.44.12.7", "AnyConnect", "BitLocker", "AES-256", "TLS 1.0", "Whitfield",
        "0121 626 5000", "s.whitfield@", "Cyber Security Centre", "Commu", "Headquarters"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "text layer leaks " << secret;
    EXPECT_EQ(bytes.find(secret), std::string::npos) << "bytes leak " << secret;
  }
  EXPECT_EQ(RunCommand("qpdf --check " + Quote(pdf)).exit_code, 0);
  auto info = RunCommand("pdfinfo " + Quote(pdf));
  EXPECT_EQ(info.out.find("Title:"), std::string::npos) << info.out;
  EXPECT_EQ(info.out.find("Author:"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Pages:           2"), std::string::npos) << info.out;
}

// The words of a text, sorted: what two readings in different orders must agree on.
std::multiset<std::string> WordsOf(const std::string& text) {
  std::multiset<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.insert(w);
  return words;
}

TEST(Cli, AReleaseIsTaggedItsTreeHoldsEveryWordOfItsTextAndItsTitleIsItsName) {
  TempDir dir;
  ASSERT_EQ(
      Batch(Quote(Sample("police-remote-devices-draft.pdf")) + " -o " + Quote(dir / "out") + " -q")
          .exit_code,
      0);
  const std::string pdf = dir / "out/release/police-remote-devices-draft.pdf";
  EXPECT_NE(RunCommand("pdfinfo " + Quote(pdf)).out.find("Tagged:          yes"),
            std::string::npos);
  // The tree reads every word the text layer holds, boxes' labels too, and nothing else.
  std::string tree_text;
  std::istringstream tree(RunCommand("pdfinfo -struct-text " + Quote(pdf)).out);
  for (std::string line; std::getline(tree, line);) {
    const size_t open = line.find('"'), close = line.rfind('"');
    if (open != std::string::npos && close > open) {
      tree_text += line.substr(open + 1, close - open - 1) + " ";
    }
  }
  const std::string text = PdfText(pdf);
  EXPECT_NE(text.find("through [REDACTED s.31(1)(a)] terminating"), std::string::npos) << text;
  EXPECT_EQ(WordsOf(tree_text), WordsOf(text)) << tree_text << "\n---\n" << text;
  // Titled by its release name, in the XMP only.
  const std::string meta = RunCommand("pdfinfo -meta " + Quote(pdf)).out;
  EXPECT_NE(meta.find(">police-remote-devices-draft</rdf:li>"), std::string::npos) << meta;
  EXPECT_NE(meta.find("<pdfaid:part>2</pdfaid:part>"), std::string::npos) << meta;
}

TEST(Cli, PoliceSampleLosesNoQuestionRefusalWordingOrFigure) {
  // Everything of the sample that an FOI officer must disclose, checked finding by finding:
  // no redaction touches the requester's questions, the refusal or the disclosed figures.
  auto r = Redact("scan " + Quote(Sample("police-remote-devices-draft.pdf")));
  ASSERT_EQ(r.exit_code, 3) << r.out;
  for (const char* kept : {"devices are connected", "encryption is used", "cyber attacks", "2,417",
                           "1,306", "988", "123", "Section 23(5)", "Section 24(2)", "Section 31(3)",
                           "Section 1(1)(a)", "National Security", "Security Bodies"}) {
    for (std::istringstream lines(r.out); !lines.eof();) {
      std::string line;
      std::getline(lines, line);
      if (line.find(": redact ") == std::string::npos) continue;
      EXPECT_EQ(line.find(kept), std::string::npos) << line;
    }
  }
}

TEST(Cli, PlainTextReleaseHasMarkers) {
  TempDir dir;
  ASSERT_EQ(Batch(Quote(Sample("council/network-upgrade-draft.txt")) + " -o " + Quote(dir / "out") +
                  " -q")
                .exit_code,
            0);
  std::string text = ReadAll(dir / "out/release/network-upgrade-draft.txt");
  EXPECT_NE(text.find("connect over an [REDACTED s.31(1)(a)] VPN"), std::string::npos) << text;
  EXPECT_NE(text.find("held by [REDACTED s.40(2)]"), std::string::npos) << text;
  EXPECT_EQ(text.find("81.2.69.142"), std::string::npos);
  EXPECT_EQ(text.find("Okafor"), std::string::npos);
  EXPECT_NE(text.find("section 31(1)(a) of the Freedom"), std::string::npos);
}

// An e-mail saved as "b.eml" is text and releases as text: beside an input "b.txt" it takes
// "b.eml.txt", and neither release replaces the other.
TEST(Cli, InputsOfOneStemAndKindEachKeepTheirRelease) {
  TempDir dir;
  fs::create_directories(dir / "in");
  WriteAll(dir / "in/b.txt", "the text file\n");
  WriteAll(dir / "in/b.eml", "Subject: the e-mail\n\nsent to GCHQ\n");
  ASSERT_EQ(Batch(Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q").exit_code, 0);
  EXPECT_EQ(ReadAll(dir / "out/release/b.txt"), "the text file\n");
  EXPECT_NE(ReadAll(dir / "out/release/b.eml.txt").find("sent to [REDACTED s.23(1)]"),
            std::string::npos);
  std::set<std::string> outputs;
  for (const auto& r : AuditRecords(dir / "out")) {
    if (r["event"] != "document") continue;
    for (const auto& o : r["outputs"]) outputs.insert(o["path"].get<std::string>());
  }
  EXPECT_EQ(outputs, (std::set<std::string>{"release/b.txt", "release/b.eml.txt"}));
}

// A PDF that fails beside a text input of the same stem: its quarantine takes away what the
// run planned for it (its release and its sidecar, "a.pdf.txt"), never the text's release
// "a.txt" (which it once removed as "the PDF's sidecar").
TEST(Cli, AQuarantinedPdfLeavesTheReleaseOfATextOfItsStem) {
  TempDir dir;
  WriteAll(dir / "in/a.txt", "the text file\n");
  WriteAll(dir / "in/a.pdf", "%PDF-1.4\nnot a PDF at all\n%%EOF\n");
  EXPECT_EQ(Batch(Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q").exit_code, 2);
  EXPECT_EQ(ReadAll(dir / "out/release/a.txt"), "the text file\n");
  EXPECT_TRUE(fs::exists(dir / "out/quarantine/a.pdf.error.json"));
}

// Ctrl-C during a batch: the documents in progress finish, those not started are left alone,
// the audit log ends with an interrupted run_end, and the exit code is 130.
TEST(Cli, InterruptedBatchExits130AndLeavesTheRestAlone) {
  TempDir dir;
  fs::create_directories(dir / "in");
  for (int i = 0; i < 24; ++i) {
    fs::copy_file(Sample("police-remote-devices-draft.pdf"),
                  dir / ("in/draft-" + std::to_string(100 + i) + ".pdf"));
  }
  // Signalled once the first release exists (not after a guessed delay).
  auto r = RunCommand("out=" + Quote(dir / "out") + "; " + Quote(testing::kBin) + " batch " +
                      Quote(dir / "in") + " -o \"$out\" --jobs 1 -q --no-report & pid=$!; " +
                      "until ls \"$out\"/release/*.pdf >/dev/null 2>&1 || ! kill -0 $pid; do "
                      "sleep 0.05; done; kill -INT $pid; wait $pid; echo \"exit=$?\"");
  ASSERT_NE(r.out.find("exit=130"), std::string::npos) << r.out;
  size_t released = 0;
  for (const auto& e : fs::directory_iterator(dir / "out/release")) {
    released += e.path().extension() == ".pdf";
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
  EXPECT_GE(released, 1u);
  EXPECT_LT(released, 24u);
  const auto records = AuditRecords(dir / "out");
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back()["event"], "run_end");
  EXPECT_EQ(records.back()["interrupted"], true);
  EXPECT_EQ(records.back()["released"].get<size_t>(), released);
  // The inputs are untouched.
  EXPECT_EQ(ReadAll(dir / "in/draft-123.pdf"), ReadAll(Sample("police-remote-devices-draft.pdf")));
}

// The worker reads a job the parent wrote; a malformed one is said as such (exit 1), not
// thrown out of the worker as if the document had crashed it.
TEST(Cli, AMalformedWorkerJobIsAnErrorNotACrash) {
  auto r = RunCommand("echo '{\"config\": {}}' | " + Quote(testing::kBin) + " __document");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("malformed job"), std::string::npos) << r.out;
}

TEST(Cli, AuditRecordsEveryFindingAndOutput) {
  TempDir dir;
  std::string out = dir / "out";
  ASSERT_EQ(Batch(Quote(kSourceDir + "/samples") + " -o " + Quote(out) + " -q").exit_code, 0);
  auto records = AuditRecords(out);
  ASSERT_GE(records.size(), 5u);
  EXPECT_EQ(records.front()["event"], "run_start");
  EXPECT_EQ(records.front()["rule_files"].size(), 7u);
  EXPECT_EQ(records.back()["event"], "run_end");
  EXPECT_EQ(records.back()["released"], 3);
  json doc = DocumentRecord(out, "police-remote-devices-draft.pdf");
  ASSERT_FALSE(doc.is_null());
  EXPECT_EQ(doc["status"], "released");
  EXPECT_EQ(doc["pages"], 2);
  EXPECT_EQ(doc["sha256"], *Sha256File(Sample("police-remote-devices-draft.pdf")));
  bool gchq = false;
  for (const json& f : doc["findings"]) {
    if (f["rule"] == "security-body.gchq") {
      gchq = true;
      EXPECT_EQ(f["page"], 2);
      EXPECT_EQ(f["exemption"], "s.23(1)");
      EXPECT_EQ(f["boxes"].size(), 2u);  // the name runs over a line break
      EXPECT_EQ(f["text"], "Government Communications Headquarters");
      EXPECT_EQ(f["fingerprint"].get<std::string>().size(), 16u);
    }
  }
  EXPECT_TRUE(gchq);
  for (const json& o : doc["outputs"]) {
    EXPECT_EQ(o["sha256"], *Sha256File(out + "/" + o["path"].get<std::string>())) << o;
  }
  auto verify = Redact("audit verify " + Quote(out + "/audit/audit.jsonl"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

TEST(Cli, AuditTextHashKeepsMatchedTextOutOfTheLog) {
  TempDir dir;
  std::string out = dir / "out";
  ASSERT_EQ(Batch(Quote(Sample("council/network-upgrade-draft.txt")) + " -o " + Quote(out) +
                  " -q --audit-text hash")
                .exit_code,
            0);
  std::string log = ReadAll(out + "/audit/audit.jsonl");
  EXPECT_EQ(log.find("Okafor"), std::string::npos);
  EXPECT_NE(log.find("text_hmac"), std::string::npos);
}

TEST(Cli, InputsAreNeverModified) {
  TempDir dir;
  fs::copy(kSourceDir + "/samples", dir / "in", fs::copy_options::recursive);
  std::map<std::string, std::pair<std::string, fs::file_time_type>> before;
  for (auto& e : fs::recursive_directory_iterator(dir / "in")) {
    if (e.is_regular_file()) before[e.path()] = {*Sha256File(e.path()), e.last_write_time()};
  }
  ASSERT_EQ(Batch(Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q").exit_code, 0);
  size_t after = 0;
  for (auto& e : fs::recursive_directory_iterator(dir / "in")) {
    if (!e.is_regular_file()) continue;
    ++after;
    EXPECT_EQ(before[e.path()].first, *Sha256File(e.path())) << e.path();
    EXPECT_EQ(before[e.path()].second, e.last_write_time()) << e.path();
  }
  EXPECT_EQ(after, before.size());
}

TEST(Cli, SameInputGivesByteIdenticalReleaseWhateverTheThreads) {
  // One document with --jobs 2 runs its pages on two threads; the release must not change.
  TempDir dir;
  std::string in = Quote(Sample("police-remote-devices-draft.pdf"));
  ASSERT_EQ(Batch(in + " -o " + Quote(dir / "a") + " -q -j 1").exit_code, 0);
  ASSERT_EQ(Batch(in + " -o " + Quote(dir / "b") + " -q -j 2").exit_code, 0);
  ASSERT_EQ(
      Batch(Quote(kSourceDir + "/samples") + " -o " + Quote(dir / "c") + " -q -j 2").exit_code, 0);
  for (const char* f : {"police-remote-devices-draft.pdf", "police-remote-devices-draft.txt"}) {
    std::string a = ReadAll(dir / ("a/release/" + std::string(f)));
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, ReadAll(dir / ("b/release/" + std::string(f)))) << f;
    EXPECT_EQ(a, ReadAll(dir / ("c/release/" + std::string(f)))) << f;
  }
}

TEST(Cli, SecondRunContinuesTheAuditChain) {
  TempDir dir;
  std::string out = dir / "out";
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Batch(Quote(Sample("council")) + " -o " + Quote(out) + " -q").exit_code, 0);
  }
  auto records = AuditRecords(out);
  EXPECT_EQ(records.size(), 2u * 4u);  // start, 2 documents, end; twice
  EXPECT_EQ(Redact("audit verify " + Quote(out + "/audit/audit.jsonl")).exit_code, 0);
}

// Each broken input is quarantined with an .error.json; the good one is still released.
class FailureCases : public ::testing::Test {
 protected:
  void SetUp() override {
    in_ = dir_ / "in";
    out_ = dir_ / "out";
    fs::create_directories(in_);
    WriteAll(in_ + "/good.txt", "Nothing sensitive here.\n");
    WriteAll(in_ + "/empty.pdf", "");
    std::string sample = ReadAll(Sample("police-remote-devices-draft.pdf"));
    WriteAll(in_ + "/truncated.pdf", sample.substr(0, sample.size() / 2));
    WriteAll(in_ + "/random.pdf", std::string("\x13\x00\xfe\x81\x02garbage", 12));
    WriteAll(in_ + "/latin1.txt", "Caf\xE9 response from Mr L\xF3pez\n");
    WriteAll(in_ + "/nopages.pdf",
             "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
             "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
             "trailer << /Root 1 0 R >>\n%%EOF\n");
    EncryptSample("secret", in_ + "/encrypted.pdf");
  }
  // The police sample, AES-256 encrypted by qpdf with this user password (and "owner").
  void EncryptSample(const std::string& user_password, const std::string& to) {
    auto enc = RunCommand("qpdf --encrypt " + Quote(user_password) + " owner 256 -- " +
                          Quote(Sample("police-remote-devices-draft.pdf")) + " " + Quote(to));
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
  }
  json ErrorJson(const std::string& name) {
    return json::parse(ReadAll(out_ + "/quarantine/" + name + ".error.json"));
  }
  TempDir dir_;
  std::string in_, out_;
};

TEST_F(FailureCases, EachIsQuarantinedWithItsReasonAndTheBatchCarriesOn) {
  auto r = Batch(Quote(in_) + " -o " + Quote(out_) + " -q");
  ASSERT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(fs::is_regular_file(out_ + "/release/good.txt"));
  struct Case {
    std::string file, stage, error_part;
  };
  for (const Case& c : std::vector<Case>{
           {"empty.pdf", "ingest", "empty (zero bytes)"},
           {"truncated.pdf", "ingest", "truncated"},
           {"random.pdf", "ingest", "unsupported kind"},
           {"latin1.txt", "ingest", "unsupported kind"},
           {"nopages.pdf", "extract", "no pages"},
           {"encrypted.pdf", "extract", "password-protected"},
       }) {
    SCOPED_TRACE(c.file);
    ASSERT_TRUE(fs::is_regular_file(out_ + "/quarantine/" + c.file + ".error.json"));
    json e = ErrorJson(c.file);
    EXPECT_EQ(e["stage"], c.stage);
    EXPECT_NE(e["error"].get<std::string>().find(c.error_part), std::string::npos) << e.dump();
    EXPECT_FALSE(e["hint"].get<std::string>().empty());
    EXPECT_EQ(e["input"], in_ + "/" + c.file);
    EXPECT_EQ(e["sha256"], *Sha256File(in_ + "/" + c.file));
    // The quarantined copy is the input, byte for byte; nothing was released for it.
    EXPECT_EQ(ReadAll(out_ + "/quarantine/" + c.file), ReadAll(in_ + "/" + c.file));
    EXPECT_FALSE(
        fs::exists(out_ + "/release/" + fs::path(c.file).replace_extension(".pdf").string()) &&
        c.file != "good.txt");
    EXPECT_EQ(DocumentRecord(out_, c.file)["status"], "quarantined");
  }
  EXPECT_NE(r.out.find("quarantined: encrypted.pdf: extract: the PDF is password-protected"),
            std::string::npos)
      << r.out;
}

TEST_F(FailureCases, PasswordOpensTheEncryptedFile) {
  fs::remove_all(in_);
  fs::create_directories(in_);
  EncryptSample("secret", in_ + "/encrypted.pdf");
  auto r = Batch(Quote(in_) + " -o " + Quote(out_) + " -q --password secret");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(PdfText(out_ + "/release/encrypted.pdf").find("Section 24(2) National Security"),
            std::string::npos);
}

// The password from a file (not the process list), or from $REDACT_PASSWORD.
TEST_F(FailureCases, PasswordFileAndEnvironmentOpenTheEncryptedFile) {
  fs::remove_all(in_);
  fs::create_directories(in_);
  EncryptSample("secret", in_ + "/encrypted.pdf");
  WriteAll(in_ + "/../password.txt", "secret\n");
  auto r = Batch(Quote(in_) + " -o " + Quote(out_) + " -q --password-file " +
                 Quote(in_ + "/../password.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(PdfText(out_ + "/release/encrypted.pdf").find("Section 24(2) National Security"),
            std::string::npos);
  auto env = RunCommand("REDACT_PASSWORD=secret " + Quote(testing::kBin) + " batch " + Quote(in_) +
                        " -o " + Quote(out_ + "2") + " -q");
  EXPECT_EQ(env.exit_code, 0) << env.out;
  auto missing = Batch(Quote(in_) + " -o " + Quote(out_ + "3") + " -q --password-file " +
                       Quote(in_ + "/nope.txt"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("--password-file"), std::string::npos) << missing.out;
}

TEST_F(FailureCases, OwnerPasswordOnlyIsProcessed) {
  fs::remove_all(in_);
  fs::create_directories(in_);
  EncryptSample("", in_ + "/owner-only.pdf");
  auto r = Batch(Quote(in_) + " -o " + Quote(out_) + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(PdfText(out_ + "/release/owner-only.pdf").find("Whitfield"), std::string::npos);
}

TEST_F(FailureCases, UnreadableFileIsQuarantined) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads every file; permissions cannot make one unreadable";
  fs::permissions(in_ + "/good.txt", fs::perms::none);
  auto r = Batch(Quote(in_ + "/good.txt") + " -o " + Quote(out_) + " -q");
  fs::permissions(in_ + "/good.txt", fs::perms::owner_all);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(fs::exists(out_ + "/quarantine/good.txt.error.json"));
}

TEST_F(FailureCases, FifoIsQuarantinedNotRead) {
  fs::remove_all(in_);
  fs::create_directories(in_);
  ASSERT_EQ(::mkfifo((in_ + "/pipe.pdf").c_str(), 0644), 0);
  auto r = Batch(Quote(in_) + " -o " + Quote(out_) + " -q");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(ErrorJson("pipe.pdf")["error"].get<std::string>().find("not a regular file"),
            std::string::npos);
}

TEST(Cli, TextNoReaderSeesIsNotCarriedIntoTheRelease) {
  TempDir dir;
  auto make =
      RunCommand("/usr/bin/python3 " + Quote(kSourceDir + "/tests/data/make_hidden_text_pdf.py") +
                 " " + Quote(dir / "hidden.pdf"));
  if (make.exit_code != 0) GTEST_SKIP() << "python3-fitz is needed to build the hidden-text PDF";
  // The input's text layer holds both hidden sentences; no rule matches either.
  ASSERT_NE(PdfText(dir / "hidden.pdf").find("Bramblewood"), std::string::npos);
  ASSERT_EQ(Batch(Quote(dir / "hidden.pdf") + " -o " + Quote(dir / "out") + " -q").exit_code, 0);
  std::string text = PdfText(dir / "out/release/hidden.pdf");
  std::string sidecar = ReadAll(dir / "out/release/hidden.txt");
  EXPECT_NE(text.find("The visible answer is 42 laptops."), std::string::npos) << text;
  for (const char* hidden : {"Bramblewood", "shortlist", "QX-7781", "budget code"}) {
    EXPECT_EQ(text.find(hidden), std::string::npos) << hidden;
    EXPECT_EQ(sidecar.find(hidden), std::string::npos) << hidden;
  }
  json doc = AuditRecords(dir / "out").at(1);
  EXPECT_EQ(doc["page_info"][0]["hidden_words"], 10);  // 5 + 5 words no reader can see
}

TEST(CliArguments, OutputInsideInputIsRefused) {
  TempDir dir;
  fs::create_directories(dir / "in");
  WriteAll(dir / "in/a.txt", "hello\n");
  auto r = Batch(Quote(dir / "in") + " -o " + Quote(dir / "in/out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("is inside the input folder"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "in/out"));
}

TEST(CliArguments, MissingInputAndUnknownOptionAreBadArguments) {
  TempDir dir;
  EXPECT_EQ(Batch(Quote(dir / "nope") + " -o " + Quote(dir / "out")).exit_code, 1);
  EXPECT_EQ(
      Batch(Quote(Sample("council")) + " -o " + Quote(dir / "out") + " --frobnicate").exit_code, 1);
  EXPECT_EQ(Batch(Quote(Sample("council"))).exit_code, 1);  // no -o
  EXPECT_EQ(Redact("").exit_code, 1);
  EXPECT_EQ(Redact("launch").exit_code, 1);
}

TEST(CliArguments, HelpExplainsEveryCommand) {
  auto top = Redact("--help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("redact batch IN... -o OUT"), std::string::npos);
  auto batch = Batch("--help");
  EXPECT_EQ(batch.exit_code, 0);
  for (const char* s : {"--jobs", "--dpi", "--rules", "--password", "--audit-text", "Exit codes",
                        "OUT/quarantine"}) {
    EXPECT_NE(batch.out.find(s), std::string::npos) << s;
  }
  EXPECT_EQ(Redact("scan --help").exit_code, 0);
  EXPECT_EQ(Redact("rules --help").exit_code, 0);
  EXPECT_EQ(Redact("audit --help").exit_code, 0);
}

TEST(CliArguments, InvalidRulesExitFour) {
  TempDir dir;
  auto r = Batch(Quote(Sample("council")) + " -o " + Quote(dir / "out") + " --rules " +
                 Quote(kSourceDir + "/tests/data/invalid_rules/bad_pattern.toml"));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("bad_pattern.toml:broken.paren: pattern: RE2 error: missing )"),
            std::string::npos)
      << r.out;
  auto t = Redact("rules test " +
                  Quote(kSourceDir + "/tests/data/invalid_rules/example_disagrees.toml"));
  EXPECT_EQ(t.exit_code, 4) << t.out;
  EXPECT_NE(t.out.find("FAIL examples.redact"), std::string::npos) << t.out;
}

// Sets `decision` in the [[decision]] block of decisions.toml whose text is `text`.
void Decide(const std::string& path, const std::string& text, const std::string& decision) {
  std::string toml = ReadAll(path);
  size_t at = toml.find("text = \"" + text);  // the text, or how it begins
  ASSERT_NE(at, std::string::npos) << text;
  size_t block = toml.rfind("[[decision]]", at);
  size_t field = toml.find("decision = \"\"", block);
  ASSERT_LT(field, at);
  toml.replace(field, 13, "decision = \"" + decision + "\"");
  WriteAll(path, toml);
}

TEST(CliReview, DecisionsChangeTheReleaseExactlyAsDecided) {
  TempDir dir;
  std::string in = kSourceDir + "/samples/police-remote-devices-draft.pdf";
  ASSERT_EQ(Batch(Quote(in) + " -o " + Quote(dir / "first") + " -q").exit_code, 0);
  std::string first = PdfText(dir / "first/release/police-remote-devices-draft.pdf");
  EXPECT_EQ(first.find("10.44.12.7"), std::string::npos);
  EXPECT_EQ(first.find("remove before release"), std::string::npos);  // a drafting note: redacted

  std::string decisions = dir / "decisions.toml";
  fs::copy_file(dir / "first/audit/decisions.toml", decisions);
  Decide(decisions, "10.44.12.7", "keep");  // the reviewer releases the address
  auto r = Batch(Quote(in) + " -o " + Quote(dir / "second") + " -q --decisions " +
                 Quote(decisions) + " --reviewer " + Quote("A. Reviewer"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string second = PdfText(dir / "second/release/police-remote-devices-draft.pdf");
  EXPECT_NE(second.find("The legacy gateway at 10.44.12.7 still accepts"), std::string::npos)
      << second;
  EXPECT_EQ(second.find("remove before release"), std::string::npos) << second;
  // Nothing else changed: the rest of the text is the same once both spans are taken out.
  EXPECT_EQ(first.find("Whitfield"), std::string::npos);
  EXPECT_EQ(second.find("Whitfield"), std::string::npos);

  json doc;
  for (const json& rec : AuditRecords(dir / "second")) {
    if (rec["event"] == "document") doc = rec;
  }
  EXPECT_EQ(doc["reviewer"], "A. Reviewer");
  std::map<std::string, std::string> decided;
  for (const json& f : doc["findings"]) {
    if (f.contains("decision"))
      decided[f["text"]] = f["decision"].get<std::string>() + " " + f["action"].get<std::string>();
  }
  EXPECT_EQ(decided, (std::map<std::string, std::string>{{"10.44.12.7", "keep flag"}}));
  // The new template remembers the decision; the schedule counts what the audit holds.
  std::string again = ReadAll(dir / "second/audit/decisions.toml");
  EXPECT_NE(again.find("decision = \"keep\""), std::string::npos);
  int audit_redactions = 0, schedule_redactions = 0;
  for (const json& f : doc["findings"]) audit_redactions += f["action"] == "redact";
  std::istringstream csv(ReadAll(dir / "second/audit/schedule.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "document,page,exemption,rule,count\r");
  while (std::getline(csv, line))
    schedule_redactions += std::stoi(line.substr(line.rfind(',') + 1));
  EXPECT_EQ(schedule_redactions, audit_redactions);
  EXPECT_GT(audit_redactions, 10);
}

TEST(CliReview, StaleAndInvalidDecisionsAreReported) {
  TempDir dir;
  std::string in = kSourceDir + "/samples/police-remote-devices-draft.pdf";
  WriteAll(dir / "stale.toml",
           "[[decision]]\ndocument = \"police-remote-devices-draft.pdf\"\nfingerprint = "
           "\"0000000000000000\"\n"
           "decision = \"keep\"\n");
  auto r = Batch(Quote(in) + " -o " + Quote(dir / "out") + " -q --decisions " +
                 Quote(dir / "stale.toml"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("decision no longer matches a finding"), std::string::npos) << r.out;
  EXPECT_EQ(AuditRecords(dir / "out").back()["stale_decisions"].size(), 1u);
  WriteAll(dir / "bad.toml",
           "[[decision]]\ndocument = \"a.pdf\"\nfingerprint = \"ab\"\ndecision = \"maybe\"\n");
  auto bad = Batch(Quote(in) + " -o " + Quote(dir / "out2") + " -q --decisions " +
                   Quote(dir / "bad.toml"));
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("decision must be \"redact\" or \"keep\""), std::string::npos) << bad.out;
}

TEST(CliReport, SelfContainedWithThumbnailsAndEveryFinding) {
  TempDir dir;
  std::string out = dir / "out";
  ASSERT_EQ(Batch(Quote(kSourceDir + "/samples") + " -o " + Quote(out) + " -q").exit_code, 0);
  std::string html = ReadAll(out + "/audit/report.html");
  ASSERT_FALSE(html.empty());
  EXPECT_NE(html.find("Redaction review report"), std::string::npos);
  // Nothing is fetched: no external scripts, styles or images.
  for (const char* external : {"src=\"http", "href=\"http", "<script src", "<link "}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  // Every finding of the audit is in the report, by fingerprint.
  size_t findings = 0;
  for (const json& r : AuditRecords(out)) {
    if (r["event"] != "document") continue;
    for (const json& f : r["findings"]) {
      ++findings;
      EXPECT_NE(html.find(f["fingerprint"].get<std::string>()), std::string::npos) << f;
    }
  }
  EXPECT_GT(findings, 20u);
  // An original and a release thumbnail for each PDF page with findings (2 + 1 pages).
  size_t images = 0;
  for (size_t at = 0; (at = html.find("src=\"data:image/png;base64,", at)) != std::string::npos;
       ++at)
    ++images;
  EXPECT_EQ(images, 6u);
  // --no-report leaves it out; the same report comes from the command; a log that does not
  // verify is refused.
  ASSERT_EQ(
      Batch(Quote(Sample("council")) + " -o " + Quote(dir / "nr") + " -q --no-report").exit_code,
      0);
  EXPECT_FALSE(fs::exists(dir / "nr/audit/report.html"));
  EXPECT_TRUE(fs::exists(dir / "nr/audit/schedule.csv"));
  // (Written beside the batch's: its links to the releases are relative to where it is.)
  auto r =
      Redact("report " + Quote(out + "/audit/audit.jsonl") + " -o " + Quote(out + "/audit/r.html"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(ReadAll(out + "/audit/r.html"), html);
  std::string log = ReadAll(out + "/audit/audit.jsonl");
  log[log.find("released")] = 'X';
  WriteAll(out + "/audit/audit.jsonl", log);
  EXPECT_EQ(Redact("report " + Quote(out + "/audit/audit.jsonl") + " -o " + Quote(dir / "r2.html"))
                .exit_code,
            1);
}

TEST(CliReport, RendersInHeadlessChromiumWithoutConsoleErrors) {
  if (RunCommand("command -v chromium").exit_code != 0) GTEST_SKIP() << "chromium is not installed";
  TempDir dir;
  std::string out = dir / "out";
  ASSERT_EQ(Batch(Quote(Sample("council/staff-contacts-draft.pdf")) + " -o " + Quote(out) + " -q")
                .exit_code,
            0);
  std::string shot = dir / "shot.png";
  auto r = RunCommand(
      "chromium --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--no-first-run --disable-component-update --disable-sync --user-data-dir=" +
      Quote(dir / "profile") +
      " --enable-logging=stderr --v=0 --window-size=1000,1400 "
      "--screenshot=" +
      Quote(shot) + " " + Quote("file://" + out + "/audit/report.html"));
  ASSERT_TRUE(fs::exists(shot)) << r.out;
  EXPECT_EQ(r.out.find("CONSOLE"), std::string::npos) << r.out;
  // Not a blank page: the thumbnails and tables put real contrast on it.
  auto dev = RunCommand("convert " + Quote(shot) +
                        " -colorspace Gray -format '%[fx:standard_deviation]' info:");
  ASSERT_EQ(dev.exit_code, 0) << dev.out;
  EXPECT_GT(std::stod(dev.out), 0.05) << dev.out;
  // The thumbnails are drawn: red outlines appear in the screenshot.
  auto red = RunCommand("convert " + Quote(shot) +
                        " -fx 'r>0.6 && g<0.3 && b<0.3 ? 1 : 0' -format '%[fx:mean*w*h]' info:");
  EXPECT_GT(std::stod(red.out), 20) << red.out;
}

TEST(CliRules, LintWarnsAboutARuleThatCanNeverFire) {
  auto r = Redact("rules lint " + Quote(kSourceDir + "/tests/data/lint"));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("lint.allowed-away: error: never fires on its own examples"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("needs at least two examples.redact"), std::string::npos) << r.out;
  EXPECT_EQ(Redact("rules lint " + Quote(kSourceDir + "/rules")).exit_code, 0);
}

TEST(CliRules, ExplainShowsWhatDecided) {
  auto r = Redact("rules explain " + Quote("Do you use SSL? Our gateway accepts TLS 1.0."));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("keep   crypto.protocol [s.31(1)(a)] 11-14 \"SSL\" (allowed: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("REDACT crypto.protocol [s.31(1)(a)] 36-43 \"TLS 1.0\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("NOTE   crypto.question [s.31(1)(a)] 11-14 \"SSL\""), std::string::npos)
      << r.out;
  EXPECT_EQ(Redact("rules explain " + Quote("The council met on Tuesday.")).exit_code, 0);
}

TEST(CliArguments, UnwritableOutputExitsSix) {
  TempDir dir;
  WriteAll(dir / "file", "x");
  auto r = Batch(Quote(Sample("council")) + " -o " + Quote(dir / "file/out"));
  EXPECT_EQ(r.exit_code, 6) << r.out;
  EXPECT_NE(r.out.find("cannot create"), std::string::npos) << r.out;
}

TEST(CliAudit, TamperedLineIsNamed) {
  TempDir dir;
  std::string out = dir / "out";
  ASSERT_EQ(Batch(Quote(Sample("council")) + " -o " + Quote(out) + " -q").exit_code, 0);
  std::string log = out + "/audit/audit.jsonl";
  std::string data = ReadAll(log);
  size_t pos = data.find("\"released\"");
  ASSERT_NE(pos, std::string::npos);
  data.replace(pos, 10, "\"rejected\"");
  WriteAll(log, data);
  // A batch into the same OUT refuses to extend a tampered log, with the chain's exit code.
  auto again = Batch(Quote(Sample("council")) + " -o " + Quote(out) + " -q");
  EXPECT_EQ(again.exit_code, 8) << again.out;
  EXPECT_NE(again.out.find("does not verify"), std::string::npos) << again.out;
  auto r = Redact("audit verify " + Quote(log));
  EXPECT_EQ(r.exit_code, 8);  // the same code merge gives for a broken input
  EXPECT_NE(r.out.find("BROKEN: line "), std::string::npos) << r.out;
  // Help is help, whatever comes before it; a missing log is a bad argument.
  EXPECT_EQ(Redact("audit verify --help").exit_code, 0);
  EXPECT_EQ(Redact("audit merge --help").exit_code, 0);
  auto missing = Redact("audit verify " + Quote(dir / "no-such.jsonl"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("cannot read"), std::string::npos) << missing.out;
}

TEST(CliAudit, MergedLogsVerifyAndKeepEveryRecord) {
  TempDir dir;
  ASSERT_EQ(Batch(Quote(Sample("council")) + " -o " + Quote(dir / "a") + " -q").exit_code, 0);
  ASSERT_EQ(
      Batch(Quote(Sample("police-remote-devices-draft.pdf")) + " -o " + Quote(dir / "b") + " -q")
          .exit_code,
      0);
  auto r = Redact("audit merge " + Quote(dir / "a/audit/audit.jsonl") + " " +
                  Quote(dir / "b/audit/audit.jsonl") + " -o " + Quote(dir / "merged.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Redact("audit verify " + Quote(dir / "merged.jsonl")).exit_code, 0);
  std::vector<json> merged;
  std::istringstream in(ReadAll(dir / "merged.jsonl"));
  for (std::string line; std::getline(in, line);) merged.push_back(json::parse(line));
  ASSERT_EQ(merged.size(), 4u + 3u);
  EXPECT_EQ(merged[4]["source_seq"], 1);
  EXPECT_EQ(merged[4]["seq"], 5);
  EXPECT_EQ(merged[5]["input"], "police-remote-devices-draft.pdf");
  // A tampered input is refused, and nothing is written.
  std::string a = ReadAll(dir / "a/audit/audit.jsonl");
  a[a.find("released")] = 'R';
  WriteAll(dir / "a/audit/audit.jsonl", a);
  auto bad = Redact("audit merge " + Quote(dir / "a/audit/audit.jsonl") + " -o " +
                    Quote(dir / "m2.jsonl"));
  EXPECT_EQ(bad.exit_code, 8) << bad.out;
  EXPECT_FALSE(fs::exists(dir / "m2.jsonl"));
}

TEST(CliScan, ReportsFindingsWithExitThree) {
  auto r = Redact("scan " + Quote(Sample("police-remote-devices-draft.pdf")));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find(
                ":2: redact s.23(1) security-body.gchq \"Government Communications Headquarters\""),
            std::string::npos)
      << r.out;
  TempDir dir;
  WriteAll(dir / "clean.txt", "The council met on Tuesday.\n");
  EXPECT_EQ(Redact("scan " + Quote(dir / "clean.txt")).exit_code, 0);
}

TEST(CliScan, AReleaseScansClean) {
  TempDir dir;
  ASSERT_EQ(Batch(Quote(kSourceDir + "/samples") + " -o " + Quote(dir / "out") + " -q").exit_code,
            0);
  auto r = Redact("scan " + Quote(dir / "out/release/police-remote-devices-draft.pdf"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // The text layer and the OCR of the pixels read the same note: it is reported once.
  size_t notes = 0;
  for (size_t at = 0; (at = r.out.find("crypto.question", at)) != std::string::npos; ++at) ++notes;
  EXPECT_EQ(notes, 1u) << r.out;
}

// --format json: every file with its findings; --output writes it to a file instead.
TEST(CliScan, JsonReportsEveryFileAndFinding) {
  TempDir dir;
  auto r = Redact("scan " + Quote(Sample("police-remote-devices-draft.pdf")) + " " +
                  Quote(Sample("council/network-upgrade-draft.txt")) + " --format json --output " +
                  Quote(dir / "scan.json"));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_EQ(r.out, "");
  const json j = json::parse(ReadAll(dir / "scan.json"));
  ASSERT_EQ(j["files"].size(), 2u);
  size_t findings = 0;
  bool gchq = false, line = false;
  for (const json& f : j["files"]) {
    EXPECT_EQ(f["status"], "read");
    for (const json& x : f["findings"]) {
      ++findings;
      gchq |= x["rule"] == "security-body.gchq" && x["page"] == 2 && !x["boxes"].empty();
      line |= x.contains("line") && x["line"].get<int>() > 1;  // the text file's own lines
    }
  }
  EXPECT_EQ(j["summary"]["findings"], findings);
  EXPECT_TRUE(gchq && line) << j.dump(1);
}

// --format sarif: SARIF 2.1.0 with the schema's required fields, for code-scanning tools.
TEST(CliScan, SarifHasTheSchemasRequiredFields) {
  auto r = Redact("scan " + Quote(Sample("police-remote-devices-draft.pdf")) + " --format sarif");
  EXPECT_EQ(r.exit_code, 3);
  const json s = json::parse(r.out);
  EXPECT_EQ(s["version"], "2.1.0");
  ASSERT_TRUE(s["runs"].is_array() && s["runs"].size() == 1u);
  const json& run = s["runs"][0];
  ASSERT_TRUE(run["tool"]["driver"]["name"].is_string());  // required: tool.driver.name
  const json& rules = run["tool"]["driver"]["rules"];
  ASSERT_TRUE(run["results"].is_array());
  EXPECT_GT(run["results"].size(), 10u);
  const std::set<std::string> levels = {"none", "note", "warning", "error"};
  for (const json& res : run["results"]) {
    ASSERT_TRUE(res["message"]["text"].is_string()) << res;  // required: message
    EXPECT_TRUE(levels.count(res["level"].get<std::string>())) << res;
    const size_t i = res["ruleIndex"].get<size_t>();
    ASSERT_LT(i, rules.size());
    EXPECT_EQ(rules[i]["id"], res["ruleId"]);
    const json& loc = res["locations"][0]["physicalLocation"];
    EXPECT_EQ(loc["artifactLocation"]["uri"].get<std::string>().find(' '), std::string::npos);
    EXPECT_GE(loc["region"]["startLine"].get<int>(), 1);  // a region needs a start
    EXPECT_EQ(loc["region"]["startLine"], res["properties"]["page"]);
  }
  EXPECT_EQ(run["invocations"][0]["executionSuccessful"], true);
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

using namespace testing;

// Former bug: a plain batch of the samples published the drafting note and the protective
// marking; flags were reported, then released, and a decided note lost only its label.
TEST(CliReview, UndecidedFlagsHoldTheDocumentForReviewWithExitSeven) {
  TempDir dir;
  CommandResult r = Redact("batch " + Quote(Sample("")) + " -o " + Quote(dir / "out"));
  ASSERT_EQ(r.exit_code, 7) << r.out;
  EXPECT_NE(r.out.find("1 waiting for a decision"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("waiting for a decision: council/staff-contacts-draft.pdf"),
            std::string::npos);
  // The marked draft is not in release/; its would-be release is in review/.
  EXPECT_FALSE(fs::exists(dir / "out/release/council/staff-contacts-draft.pdf"));
  EXPECT_TRUE(fs::exists(dir / "out/review/council/staff-contacts-draft.pdf"));
  EXPECT_TRUE(fs::exists(dir / "out/release/police-remote-devices-draft.pdf"));
  std::string released;
  for (const auto& f : fs::recursive_directory_iterator(dir / "out/release")) {
    if (f.path().extension() == ".pdf") released += PdfText(f.path().string());
    if (f.path().extension() == ".txt") released += ReadAll(f.path().string());
  }
  // The drafting note goes whole, not only its label; the marking is not published.
  for (const std::string gone :
       {"Internal note", "remove before release", "the incident of", "indicators were shared",
        "for the case file", "OFFICIAL-SENSITIVE"}) {
    EXPECT_EQ(released.find(gone), std::string::npos) << gone;
  }
  EXPECT_NE(released.find("The information about encryption is exempt"), std::string::npos);
  EXPECT_NE(ReadAll(dir / "out/release/police-remote-devices-draft.txt")
                .find("[REDACTED s.36(2)(b)(ii)]\nThe information about encryption"),
            std::string::npos);
  int waiting = 0;
  for (const auto& rec : AuditRecords(dir / "out")) {
    if (rec["event"] == "run_end") {
      EXPECT_EQ(rec["waiting_for_review"], 1);
    }
    if (rec["event"] != "document" || rec["status"] != "review") continue;
    ++waiting;
    EXPECT_EQ(rec["open_flags"], 1);
    EXPECT_EQ(rec["outputs"][0]["path"], "review/council/staff-contacts-draft.pdf");
  }
  EXPECT_EQ(waiting, 1);
  // Former bug: the report listed a held document among the quarantined ones.
  const std::string html = ReadAll(dir / "out/audit/report.html");
  EXPECT_EQ(html.find("Not released"), std::string::npos);
  EXPECT_NE(html.find("staff-contacts-draft.pdf</a></td><td>review</td>"), std::string::npos);
  EXPECT_NE(html.find("<summary>council/staff-contacts-draft.pdf — review, "), std::string::npos);
}

// The decisions file a first run writes, with its one flag (a protective marking) decided
// "redact" as a reviewer would: fingerprints are keyed per installation, so no file made
// elsewhere would match.
std::string DecideTheFlag(const std::string& decisions) {
  std::string out;
  size_t at = 0;
  while (at < decisions.size()) {
    size_t next = decisions.find("[[decision]]", at + 1);
    if (next == std::string::npos) next = decisions.size();
    std::string entry = decisions.substr(at, next - at);
    const std::string open = "decision = \"\"";
    if (entry.find("action = \"flag\"") != std::string::npos &&
        entry.find(open) != std::string::npos) {
      entry.replace(entry.find(open), open.size(), "decision = \"redact\"");
    }
    out += entry;
    at = next;
  }
  return out;
}

TEST(CliReview, ADecidedFlagIsRedactedWithItsExemptionAndTheDocumentReleased) {
  TempDir dir;
  CommandResult first =
      Redact("batch " + Quote(Sample("")) + " -o " + Quote(dir / "first") + " -q");
  ASSERT_EQ(first.exit_code, 7) << first.out;  // the flagged sample waits for its decision
  std::string decisions = DecideTheFlag(ReadAll(dir / "first/audit/decisions.toml"));
  WriteAll(dir / "decided.toml", decisions);
  CommandResult r =
      Redact("batch " + Quote(Sample("")) + " -o " + Quote(dir / "out") + " -q --decisions " +
             Quote(dir / "decided.toml") + " --reviewer 'J. Smith'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(
      PdfText(dir / "out/release/council/staff-contacts-draft.pdf").find("OFFICIAL-SENSITIVE"),
      std::string::npos);
  EXPECT_NE(
      ReadAll(dir / "out/release/council/staff-contacts-draft.txt").find("[REDACTED s.36(2)(c)]"),
      std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out/review"));
  // A reviewer may cite another exemption than the rule's.
  const std::string from = "exemption = \"s.36(2)(c)\"";
  ASSERT_NE(decisions.find(from), std::string::npos);
  decisions.replace(decisions.find(from), from.size(), "exemption = \"s.24(1)\"");
  WriteAll(dir / "decisions.toml", decisions);
  r = Redact("batch " + Quote(Sample("")) + " -o " + Quote(dir / "out2") + " -q --decisions " +
             Quote(dir / "decisions.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(
      ReadAll(dir / "out2/release/council/staff-contacts-draft.txt").find("[REDACTED s.24(1)]"),
      std::string::npos);
}

// A reviewer releases a drafting note that names a security body: the note is published, the
// body's name stays redacted under its own exemption, and the self-check accepts the note
// with the box inside it.
TEST(CliReview, AKeptPassageIsReleasedWithTheRedactionsInsideItStillBoxed) {
  TempDir dir;
  fs::create_directories(dir / "in");
  WriteAll(dir / "in/note.txt",
           "Dear requester,\nThe force holds the information you asked for.\n"
           "Drafting note: we consulted GCHQ before replying to this request.\nFOI Team\n");
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string decisions = ReadAll(dir / "out/audit/decisions.toml");
  // Two records: the note and, nested in it, the security body.
  const size_t note = decisions.find("rule = \"internal.note\"");
  ASSERT_NE(note, std::string::npos) << decisions;
  ASSERT_NE(decisions.find("rule = \"security-body.gchq\""), std::string::npos) << decisions;
  const size_t undecided = decisions.rfind("decision = \"\"", note);
  ASSERT_NE(undecided, std::string::npos);
  decisions.replace(undecided, 13, "decision = \"keep\"");
  WriteAll(dir / "decisions.toml", decisions);
  r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out2") + " -q --decisions " +
             Quote(dir / "decisions.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(ReadAll(dir / "out2/release/note.txt"),
            "Dear requester,\nThe force holds the information you asked for.\n"
            "Drafting note: we consulted [REDACTED s.23(1)] before replying to this request.\n"
            "FOI Team\n");
}

TEST(CliReview, ReleaseFlaggedReleasesUndecidedDocumentsAsBefore) {
  TempDir dir;
  CommandResult r =
      Redact("batch " + Quote(Sample("")) + " -o " + Quote(dir / "out") + " -q --release-flagged");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(
      PdfText(dir / "out/release/council/staff-contacts-draft.pdf").find("OFFICIAL-SENSITIVE"),
      std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out/review"));
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// The command line's rough edges, each as a user meets it.
TEST(CliRoughEdges, VersionHelpAndUsageSayWhatTheyShould) {
  auto v = testing::Redact("-V");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("redact ", 0), 0u) << v.out;
  auto usage = testing::Redact("--help");
  EXPECT_NE(usage.out.find("redact rules explain"), std::string::npos) << usage.out;
  EXPECT_NE(usage.out.find("redact review OUT"), std::string::npos) << usage.out;
  for (const char* help : {"audit verify --help", "audit merge --help", "rules explain --help",
                           "review --help", "report --help"}) {
    auto r = testing::Redact(help);
    EXPECT_EQ(r.exit_code, 0) << help << ": " << r.out;
    EXPECT_EQ(r.out.find("BROKEN"), std::string::npos) << help;
  }
  EXPECT_NE(testing::Redact("rules --help").out.find("3 (explain)"), std::string::npos);
  EXPECT_EQ(testing::Redact("rules explain \"records held by GCHQ\"").exit_code, 3);
}

// batch --json: the summary as one JSON object, and nothing else on standard output.
TEST(CliRoughEdges, BatchJsonIsOneObject) {
  testing::TempDir dir;
  auto r = testing::Redact("batch " +
                           testing::Quote(testing::Sample("police-remote-devices-draft.pdf")) +
                           " -o " + testing::Quote(dir / "out") + " --json --no-report");
  EXPECT_EQ(r.exit_code, 0);
  // Standard error (the progress line) is folded into r.out by Redact(); the JSON is its line.
  json j;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '{') j = json::parse(line);
  }
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["released"], 1);
  EXPECT_GT(j["redactions"].get<int>(), 10);
  EXPECT_EQ(j["release"], dir / "out/release");
  EXPECT_EQ(r.out.find("release:    "), std::string::npos) << "the text summary was printed too";
}

TEST(CliRoughEdges, AMissingArgumentIsOneShortErrorNotTheWholeHelp) {
  auto r = testing::Redact("batch " + testing::Quote(testing::Sample("")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("'--output' is required"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("redact batch --help"), std::string::npos) << r.out;
  EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out;
  testing::TempDir dir;
  testing::WriteAll(dir / "audit.jsonl", "");
  auto report = testing::Redact("report " + testing::Quote(dir / "audit.jsonl"));
  EXPECT_EQ(report.exit_code, 1);
  EXPECT_NE(report.out.find("-o FILE is required"), std::string::npos) << report.out;
  auto unknown = testing::Redact("frobnicate");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_LE(std::count(unknown.out.begin(), unknown.out.end(), '\n'), 2) << unknown.out;
}

// --rules replaces the shipped packs: the summary says so, with how to keep them.
TEST(CliRoughEdges, RulesAloneSaysTheShippedPacksAreNotLoaded) {
  testing::TempDir dir;
  fs::create_directories(dir / "rules");
  testing::WriteAll(dir / "rules/local.toml",
                    "[ruleset]\nid = \"local\"\n\n[[rule]]\nid = \"local.word\"\npattern = "
                    "'\\bDave\\b'\nexemption = \"s.40(2)\"\n"
                    "examples.redact = [\"Dave said\", \"to Dave\"]\n"
                    "examples.keep = [\"Davenport\", \"David\"]\n");
  testing::WriteAll(dir / "in/a.txt", "Dave met the team.\n");
  auto r =
      testing::Redact("batch " + testing::Quote(dir / "in") + " -o " + testing::Quote(dir / "out") +
                      " --rules " + testing::Quote(dir / "rules"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("the shipped packs are not loaded when --rules is given"), std::string::npos)
      << r.out;
  auto both = testing::Redact(
      "batch " + testing::Quote(dir / "in") + " -o " + testing::Quote(dir / "out2") + " --rules " +
      testing::Quote(dir / "rules") + " --rules " + testing::Quote(testing::kSourceDir + "/rules"));
  EXPECT_EQ(both.out.find("the shipped packs are not loaded"), std::string::npos) << both.out;
}

// A pattern in a TOML double-quoted string: its \b is a backspace, and lint says so.
TEST(CliRoughEdges, ADoubleQuotedBackslashBIsExplained) {
  testing::TempDir dir;
  testing::WriteAll(
      dir / "bad.toml",
      "[ruleset]\nid = \"local\"\n\n[[rule]]\nid = \"local.gchq\"\npattern = "
      "\"\\bGCHQ\\b\"\nexemption = \"s.23(1)\"\n"
      "examples.redact = [\"GCHQ said\", \"to GCHQ\"]\nexamples.keep = [\"x\", \"y\"]\n");
  auto r = testing::Redact("rules lint " + testing::Quote(dir / "bad.toml"));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("pattern holds a backspace character"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("single quotes"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// The daemon's options from a TOML file (what a unit's ExecStart would otherwise spell out),
// checked with --check-config; the command line wins; a key that is no option is refused.
TEST(CliConfig, WatchReadsItsOptionsFromAFileAndChecksThem) {
  testing::TempDir dir;
  fs::create_directories(dir / "inbox");
  testing::WriteAll(dir / "redact.toml", "inbox = \"" + (dir / "inbox") + "\"\nout = \"" +
                                             (dir / "out") + "\"\njobs = 1\nrules = [\"" +
                                             testing::kSourceDir + "/rules\"]\n");
  auto ok =
      testing::Redact("watch --config " + testing::Quote(dir / "redact.toml") + " --check-config");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("configuration OK"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("jobs:          1"), std::string::npos) << ok.out;
  auto cli = testing::Redact("watch --config " + testing::Quote(dir / "redact.toml") +
                             " --check-config --jobs 3");
  EXPECT_NE(cli.out.find("jobs:          3"), std::string::npos) << cli.out;
  testing::WriteAll(dir / "bad.toml", "inbox = \"" + (dir / "inbox") + "\"\nout = \"" +
                                          (dir / "out") + "\"\nthreads = 4\n");
  auto bad =
      testing::Redact("watch --config " + testing::Quote(dir / "bad.toml") + " --check-config");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("unknown key 'threads'"), std::string::npos) << bad.out;
  testing::WriteAll(dir / "gone.toml",
                    "inbox = \"" + (dir / "nowhere") + "\"\nout = \"" + (dir / "out") + "\"\n");
  auto gone =
      testing::Redact("watch --config " + testing::Quote(dir / "gone.toml") + " --check-config");
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.out.find("is not a folder"), std::string::npos) << gone.out;
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// On a terminal a long document shows the page it has reached, not one line for its whole
// run (run under script(1), which gives the command a terminal).
TEST(CliProgress, ALongDocumentShowsItsPagesOnATerminal) {
  if (RunCommand("command -v script").exit_code != 0) GTEST_SKIP() << "no script(1)";
  testing::TempDir dir;
  std::string pages;
  for (int i = 0; i < 20; ++i)
    pages += " " + testing::Quote(testing::Sample("police-remote-devices-draft.pdf"));
  ASSERT_EQ(RunCommand("qpdf --empty --pages" + pages + " -- " + testing::Quote(dir / "long.pdf"))
                .exit_code,
            0);
  auto r = RunCommand("script -qfec " +
                      testing::Quote(testing::kBin + " batch " + testing::Quote(dir / "long.pdf") +
                                     " -o " + testing::Quote(dir / "out")) +
                      " /dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("long.pdf: page 40 of 40 read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0/1 documents"), std::string::npos) << r.out;
  // Not on a terminal: no progress at all (logs and pipes stay clean).
  auto piped = testing::Redact("batch " + testing::Quote(dir / "long.pdf") + " -o " +
                               testing::Quote(dir / "out2"));
  EXPECT_EQ(piped.out.find("of 40 read"), std::string::npos) << piped.out;
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// -v: a line per document; --log-file: the same, with the run's start and end, appended.
TEST(CliProgress, VerboseAndLogFileSayWhatBecameOfEachDocument) {
  testing::TempDir dir;
  auto r = testing::Redact("batch " + testing::Quote(testing::kSourceDir + "/samples") + " -o " +
                           testing::Quote(dir / "out") + " -v --log-file " +
                           testing::Quote(dir / "run.log"));
  EXPECT_EQ(r.exit_code, 7) << r.out;
  EXPECT_NE(r.out.find("released    police-remote-devices-draft.pdf (2 pages, "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("waiting     council/staff-contacts-draft.pdf"), std::string::npos) << r.out;
  const std::string log = testing::ReadAll(dir / "run.log");
  EXPECT_NE(log.find("run started: 3 documents"), std::string::npos) << log;
  EXPECT_NE(log.find("released    police-remote-devices-draft.pdf"), std::string::npos) << log;
  EXPECT_NE(log.find("run ended (exit 7): 2 released, 1 waiting"), std::string::npos) << log;
  auto unwritable = testing::Redact("batch " + testing::Quote(testing::kSourceDir + "/samples") +
                                    " -o " + testing::Quote(dir / "out2") + " -q --log-file " +
                                    testing::Quote(dir / "no/such/dir/run.log"));
  EXPECT_EQ(unwritable.exit_code, 6) << unwritable.out;
}

}  // namespace
}  // namespace redact

// What a CI pipeline meets: scan's own rules beside the shipped ones, SARIF a code-scanning
// server can track without holding the secret, batch --json on every exit, lint warnings.
namespace redact {
namespace {

using namespace testing;

const char* kCiRule = R"TOML(
[ruleset]
id = "ci-local"

[[rule]]
id = "local.project-code"
pattern = '''\bZEBRA-\d{2}\b'''
exemption = "s.43(2)"
examples.redact = ["project ZEBRA-42 starts", "ZEBRA-07"]
examples.keep = ["ZEBRA crossing", "ZEBRA-123"]
)TOML";

std::set<std::string> ScanRules(const std::string& args) {
  std::set<std::string> ids;
  const json j = json::parse(Redact("scan " + args + " --format json").out, nullptr, false);
  if (!j.is_object()) return ids;
  for (const json& f : j["files"]) {
    for (const json& x : f["findings"]) ids.insert(x.value("rule", ""));
  }
  return ids;
}

TEST(CliCi, ScanRulesAddToTheShippedRulesUnlessToldOtherwise) {
  TempDir dir;
  WriteAll(dir / "rules/local.toml", kCiRule);
  WriteAll(dir / "note.txt", "The ZEBRA-42 files were shared with GCHQ.\n");
  std::set<std::string> ids =
      ScanRules(Quote(dir / "note.txt") + " --rules " + Quote(dir / "rules"));
  EXPECT_TRUE(ids.count("local.project-code"));
  EXPECT_TRUE(ids.count("security-body.gchq")) << "the shipped rules were dropped";
  ids = ScanRules(Quote(dir / "note.txt") + " --rules " + Quote(dir / "rules") +
                  " --no-default-rules");
  EXPECT_EQ(ids, std::set<std::string>{"local.project-code"});
  // The shipped folder given as well is read once (no duplicate ids).
  CommandResult again = Redact("scan " + Quote(dir / "note.txt") + " --rules " +
                               Quote(kSourceDir + "/rules") + " --rules " + Quote(dir / "rules"));
  EXPECT_EQ(again.exit_code, 3) << again.out;
}

TEST(CliCi, SarifFingerprintsEachAlertAndKeepsTheSecretOut) {
  const std::string sample = Quote(Sample("police-remote-devices-draft.pdf"));
  CommandResult first = Redact("scan " + sample + " --format sarif");
  ASSERT_EQ(first.exit_code, 3) << first.out;
  EXPECT_EQ(first.out.find("10.44.12.7"), std::string::npos) << "a secret in the SARIF";
  const json a = json::parse(first.out);
  std::set<std::string> prints;
  for (const json& r : a["runs"][0]["results"]) {
    const std::string fp = r["partialFingerprints"].value("redactFinding/v1", "");
    EXPECT_EQ(fp.size(), 32u) << r;
    prints.insert(fp);
  }
  EXPECT_EQ(prints.size(), a["runs"][0]["results"].size()) << "two alerts share a fingerprint";
  // The same alerts the next run (a code-scanning server matches them so).
  const json b = json::parse(Redact("scan " + sample + " --format sarif").out);
  EXPECT_EQ(a["runs"][0]["results"], b["runs"][0]["results"]);
  CommandResult shown = Redact("scan " + sample + " --format sarif --show-text");
  EXPECT_NE(shown.out.find("10.44.12.7"), std::string::npos);
}

// --baseline: what an earlier report holds is known; only a new finding fails the build.
TEST(CliCi, ABaselineLeavesOutKnownFindingsAndANewOneStillFails) {
  TempDir dir;
  WriteAll(dir / "note.txt", "The files were shared with GCHQ.\n");
  ASSERT_EQ(RunCommand("( " + Quote(kBin) + " scan " + Quote(dir / "note.txt") +
                       " --format sarif --output " + Quote(dir / "base.sarif") + " )")
                .exit_code,
            3);
  CommandResult known = Redact("scan " + Quote(dir / "note.txt") + " --format json --baseline " +
                               Quote(dir / "base.sarif"));
  EXPECT_EQ(known.exit_code, 0) << known.out;
  EXPECT_EQ(json::parse(known.out)["files"][0]["findings"].size(), 0u) << known.out;
  WriteAll(dir / "note.txt", "The files were shared with GCHQ.\nAnd with the NCSC.\n");
  CommandResult added = Redact("scan " + Quote(dir / "note.txt") + " --format json --baseline " +
                               Quote(dir / "base.sarif"));
  EXPECT_EQ(added.exit_code, 3) << added.out;
  const json a = json::parse(added.out);
  ASSERT_EQ(a["files"][0]["findings"].size(), 1u) << added.out;
  EXPECT_EQ(a["files"][0]["findings"][0]["rule"], "security-body.ncsc");
  EXPECT_EQ(Redact("scan " + Quote(dir / "note.txt") + " --baseline " + Quote(dir / "note.txt"))
                .exit_code,
            1);
}

// Standard output alone (RunCommand joins standard error to it).
CommandResult StdoutOf(const std::string& args) {
  return RunCommand("( " + Quote(kBin) + " " + args + " 2>/dev/null )");
}

TEST(CliCi, BatchJsonPrintsItsObjectOnExitOneAndSix) {
  TempDir dir;
  CommandResult bad =
      StdoutOf("batch " + Quote(dir / "no-such-input") + " -o " + Quote(dir / "out") + " --json");
  EXPECT_EQ(bad.exit_code, 1);
  json j = json::parse(bad.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << bad.out;
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_NE(j.value("error", "").find("no-such-input"), std::string::npos) << j;
  CommandResult option = StdoutOf("batch --no-such-option --json");
  EXPECT_EQ(json::parse(option.out, nullptr, false).value("exit_code", -1), 1) << option.out;
  WriteAll(dir / "in/a.txt", "Nothing to redact here.\n");
  WriteAll(dir / "file", "a file where OUT's parent folder should be\n");
  CommandResult unwritable =
      StdoutOf("batch " + Quote(dir / "in") + " -o " + Quote(dir / "file/out") + " --json");
  EXPECT_EQ(unwritable.exit_code, 6) << unwritable.out;
  j = json::parse(unwritable.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << unwritable.out;
  EXPECT_EQ(j["exit_code"], 6);
}

TEST(CliCi, LintWarningsAloneExitZeroUnlessStrict) {
  TempDir dir;
  WriteAll(dir / "few.toml",
           "[ruleset]\nid = \"few\"\n\n[[rule]]\nid = \"few.code\"\npattern = "
           "'''\\bZEBRA-\\d{2}\\b'''\nexemption = \"s.43(2)\"\n"
           "examples.redact = [\"ZEBRA-42\"]\nexamples.keep = [\"ZEBRA\"]\n");
  CommandResult lint = Redact("rules lint " + Quote(dir / "few.toml"));
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  EXPECT_NE(lint.out.find("few.code: warning: needs at least two"), std::string::npos) << lint.out;
  EXPECT_EQ(Redact("rules lint --strict " + Quote(dir / "few.toml")).exit_code, 4);
}

}  // namespace
}  // namespace redact
