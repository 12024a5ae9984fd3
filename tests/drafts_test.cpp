// Detection on drafts written here, a class of content each (tests/data/drafts/),
// through the real binary, as a text file and as the PDF LibreOffice makes of it: what must go
// is not in the release, what must stay is, class by class.
#include <gtest/gtest.h>

#include "pipeline/core/normalize.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;

struct Class {
  std::string name;
  std::vector<std::string> gone;
};

const std::vector<Class> kPersonalData = {
    {"names without a title", {"Priya Ramaswamy", "Oliver Fenwick-Hale", "Fenwick", "Hale"}},
    {"a name's parts wherever they recur", {"Priya\nRamaswamy", "Ramaswamy also", "Mrs Ramaswamy"}},
    {"names in mail headers and sign-offs",
     {"Gwendolyn Okonkwo", "HARRIET BLACKWOOD", "Whitcombe"}},
    {"postal addresses",
     {"27 Juniper Close", "Kettering", "NN15 7QA", "Flat 4", "Linden Court", "18 Station Road",
      "9 The Paddocks", "PE8 4HT"}},
    {"phone numbers in every form", {"555 0192", "ext. 301", "+353 1 555 0188", "416.555.0134"}},
    {"ages and dates of birth", {"aged 87", "14/02/1939"}},
    {"money and bank details", {"£14,200", "£3,950", "40-11-62", "71234567"}},
    {"special-category data",
     {"vascular dementia", "practising Quaker", "Liberal Democrat Party", "Unison union",
      "identifies as\ngay", "gay."}},
    {"criminal-offence data", {"cautioned for theft", "restraining", "order."}},
    {"where protected species live", {"SP 87210 75430", "Ashby Mill Farm", "52.39871"}},
};

// A public body's own contact details, statistics and assessments stay.
const std::vector<std::string> kPersonalDataKept = {
    "Eastvale County Council",
    "foi@eastvale.gov.uk",
    "0300 555 0100",
    "County Hall, 1 Market Square, Northampton NN1 2EF",
    "14 allegations of neglect",
    "residents aged 65 and over",
    "The total salary budget was £4.2m.",
    "The Health Impact Assessment was published",
    "Councillor",
    "Information Governance Team",
    "A pipistrelle bat roost was recorded at grid reference",
    // Holders of public office named in a published decision.
    "Tribunal Judge Cordelia Abernathy-Lowe",
    "Councillor Rupert Blakemore",
    "Imogen Thackeray MP",
};

const std::vector<Class> kSecurityVocabulary = {
    {"security products in the shipped catalogue",
     {"YubiKey", "Nitrokey", "WatchGuard Firebox M470", "Okta"}},
    {"products named by what they are", {"Tanium", "Thales Luna", "CyberArk", "Darktrace"}},
    {"software with its release",
     {"Windows 10 21H2", "Exchange 2019 CU12", "Citrix ADC 13.1", "OpenSSL 1.1.1k"}},
    {"protocols", {"PPTP", "L2TP", "TACACS+"}},
    {"protective security bodies", {"National Protective Security Authority", "CPNI"}},
};

// What a body publishes about its own security, and words that only look like products.
const std::vector<std::string> kSecurityVocabularyKept = {
    "created by Microsoft Word",      "see section 4.2.1 of the policy",
    "The ICO guidance on encryption", "The Council firewall policy",
    "Cabinet Office VPN guidance",    "within a five mile radius",
    "Information Management Unit",
};

// Text disguised by characters a reader does not see or letters that only look Latin: gone as
// written, and gone as the rules read the release (the plain forms below).
const std::vector<Class> kDisguised = {
    {"a zero-width space in a security body", {"GC\u200bHQ"}},
    {"a zero-width joiner in a host", {"north\u200dshire"}},
    {"a soft hyphen in a product", {"Yubi\u00adKey"}},
    {"a no-break space in a mobile number", {"07700\u00a0900461", "900461"}},
    {"full-width letters", {"\uff2e\uff23\uff33\uff23"}},
    {"a Cyrillic letter among Latin ones", {"N\u0421SC"}},
    {"a combining accent", {"Zoe\u0308", "Harper-Whitley"}},
    {"a right-to-left override", {"\u202eQHCG\u202c", "QHCG"}},
    {"letter-spacing", {"N C S C"}},
    {"a zero-width space in a name", {"Oka\u200bfor"}},
};

const std::vector<std::string> kDisguisedKept = {
    "foi@eastvale.gov.uk",
    "0300 555 0100",
    "The annual report is published on the Council website.",
};

// The plain forms a disguised string is read as: none may be read in a release.
const std::vector<std::string> kDisguisedRead = {"GCHQ",   "NCSC",   "northshire", "YubiKey",
                                                 "900461", "Harper", "Okafor"};

// Numbers that identify a person: a case, appeal, claim, title or plot number, a court
// application number, NHS, passport and driving-licence numbers, a year of birth.
const std::vector<Class> kNumbers = {
    {"case, appeal and claim numbers", {"2025/18834", "AP-77120", "ABC98765432"}},
    {"NHS, passport and driving-licence numbers",
     {"943 476 5919", "512873046", "WHITC704226AB9XY"}},
    {"title and plot numbers, a list over a line break", {"NK481173", "12/4", "12/5"}},
    {"a court application number cited alone", {"27033/95"}},
    {"a year of birth", {"1941"}},
    {"health conditions named without a diagnosis",
     {"asthma and high", "blood pressure", "diabetes"}},
};

// The body's own reference, laws, statistics and other years stay.
const std::vector<std::string> kNumbersKept = {
    "Our reference: FOI-2026-0412",
    "section 4 of the Local Government Act 1974",
    "received 1,204 complaints in 2025",
    "moved to the county in 1987",
    "The Council's leaflet on asthma is available at every library.",
};

// A police letter in wording no rule was written against: what each detail is, said by the
// sentence around it rather than by a catalogue.
const std::vector<Class> kSecurityNew = {
    {"a sign-in product before what it does", {"Verimatrix"}},
    {"who issues the certificates", {"Sectigo"}},
    {"who filters the mail", {"Proofpoint"}},
    {"what the servers run, with its release", {"Ubuntu 20.04"}},
    {"a server with a two-part version", {"OpenSSH 7.4"}},
    {"a legacy wireless protocol", {"WEP"}},
    {"counter-terrorism and s.23(3) bodies spelt out",
     {"National Counter Terrorism Security Office",
      "Intelligence and Security Committee of Parliament"}},
};

const std::vector<std::string> kSecurityNewKept = {
    "Cabinet Office Minimum Cyber Security Standard",
    "Police Digital Service",
    "Widowed Parent's Allowance (WPA)",
    "case management system",
};

struct Draft {
  std::string stem;
  const std::vector<Class>* classes;
  const std::vector<std::string>* kept;
};

const std::vector<Draft> kDrafts = {
    {"personal-data", &kPersonalData, &kPersonalDataKept},
    {"security-vocabulary", &kSecurityVocabulary, &kSecurityVocabularyKept},
    {"identifying-numbers", &kNumbers, &kNumbersKept},
    {"security-new-wording", &kSecurityNew, &kSecurityNewKept},
    {"disguised-text", &kDisguised, &kDisguisedKept},
};

// Text with its line breaks made spaces, so a phrase the PDF wraps still reads whole.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

class Drafts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fs::create_directories(*dir_ / "in");
    const bool soffice = RunCommand("command -v soffice").exit_code == 0;
    for (const Draft& d : kDrafts) {
      fs::copy_file(kSourceDir + "/tests/data/drafts/" + d.stem + ".txt",
                    *dir_ / ("in/" + d.stem + ".txt"));
      if (!soffice) continue;
      RunCommand("soffice -env:UserInstallation=file://" + *dir_ / "profile" +
                 " --headless --norestore --convert-to pdf --outdir " + Quote(*dir_ / "pdf") + " " +
                 Quote(*dir_ / ("in/" + d.stem + ".txt")));
      const fs::path pdf = *dir_ / ("pdf/" + d.stem + ".pdf");
      if (fs::exists(pdf)) fs::copy_file(pdf, *dir_ / ("in/" + d.stem + "-pdf.pdf"));
    }
    batch_ = RunCommand(Quote(kBin) + " batch " + Quote(*dir_ / "in") + " -o " +
                        Quote(*dir_ / "out") + " -q --no-report");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // A draft's releases to check: the text draft's, and the PDF's where LibreOffice made one.
  static std::vector<std::pair<std::string, std::string>> Releases(const Draft& d) {
    std::vector<std::pair<std::string, std::string>> out = {
        {"text", OneLine(ReadAll(*dir_ / ("out/release/" + d.stem + ".txt")))}};
    if (fs::exists(*dir_ / ("in/" + d.stem + "-pdf.pdf"))) {
      out.emplace_back("pdf", OneLine(PdfText(*dir_ / ("out/release/" + d.stem + "-pdf.pdf"))));
    }
    return out;
  }
  static inline TempDir* dir_ = nullptr;
  static inline CommandResult batch_;
};

TEST_F(Drafts, EveryClassIsRedacted) {
  ASSERT_EQ(batch_.exit_code, 0) << batch_.out;
  for (const Draft& d : kDrafts) {
    const std::string draft =
        OneLine(ReadAll(kSourceDir + "/tests/data/drafts/" + d.stem + ".txt"));
    for (const auto& [kind, release] : Releases(d)) {
      ASSERT_FALSE(release.empty()) << d.stem << " " << kind;
      for (const Class& c : *d.classes) {
        for (const std::string& g : c.gone) {
          EXPECT_NE(draft.find(OneLine(g)), std::string::npos) << d.stem << " lost " << g;
          EXPECT_EQ(release.find(OneLine(g)), std::string::npos)
              << d.stem << " " << kind << ", " << c.name << ": released \"" << g << "\"";
        }
      }
    }
  }
}

TEST_F(Drafts, DisguisedTextIsNotReadInTheRelease) {
  ASSERT_EQ(batch_.exit_code, 0) << batch_.out;
  const Draft& d = kDrafts.back();
  ASSERT_EQ(d.stem, "disguised-text");
  for (const auto& [kind, release] : Releases(d)) {
    const std::string read = NormalizeText(release).text;
    for (const std::string& g : kDisguisedRead) {
      EXPECT_EQ(read.find(g), std::string::npos) << kind << ": read \"" << g << "\"\n" << release;
    }
  }
}

TEST_F(Drafts, WhatABodyPublishesStays) {
  ASSERT_EQ(batch_.exit_code, 0) << batch_.out;
  for (const Draft& d : kDrafts) {
    for (const auto& [kind, release] : Releases(d)) {
      for (const std::string& k : *d.kept) {
        EXPECT_NE(release.find(k), std::string::npos)
            << d.stem << " " << kind << ": lost \"" << k << "\"\n"
            << release;
      }
    }
  }
}

}  // namespace
}  // namespace redact
