// What the audit log gives away: --audit-text hash and every finding's fingerprint are keyed
// (HMAC-SHA256 under the installation's key), so that a dictionary attack, which reversed
// nearly all of them while they were plain SHA-256, reverses nothing without the key.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "pipeline/core/audit_key.h"
#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
namespace fs = std::filesystem;

struct Seen {
  std::set<std::string> hashes;        // text_hmac of findings and hidden content
  std::set<std::string> fingerprints;  // every finding's
  std::set<std::string> rules;
  std::vector<std::string> texts;  // matched and hidden texts (the plain run only)
};

Seen Collect(const std::string& out) {
  Seen s;
  for (const auto& rec : AuditRecords(out)) {
    if (rec["event"] != "document") continue;
    for (const auto& f : rec.value("findings", nlohmann::json::array())) {
      s.fingerprints.insert(f["fingerprint"].get<std::string>());
      s.rules.insert(f["rule"].get<std::string>());
      if (f.contains("text_hmac")) s.hashes.insert(f["text_hmac"].get<std::string>());
      if (f.contains("text")) s.texts.push_back(f["text"].get<std::string>());
    }
    for (const auto& h : rec.value("hidden_content", nlohmann::json::array())) {
      if (h.contains("text_hmac")) s.hashes.insert(h["text_hmac"].get<std::string>());
      if (h.contains("text")) s.texts.push_back(h["text"].get<std::string>());
    }
  }
  return s;
}

// The attack as it was run against the unkeyed log: a dictionary (here the attacker's best
// case, every secret the documents hold, as written, lower-cased and normalised) hashed with
// SHA-256, and fingerprints rebuilt from rule, normalised text and occurrence number.
TEST(AuditSecrecy, ADictionaryAttackOnHashesAndFingerprintsReversesNothingWithoutTheKey) {
  TempDir dir;
  const std::string input = kSourceDir + "/samples";
  const std::string key_file = dir / "keys/audit.key";
  CommandResult plain = Redact("batch " + Quote(input) + " -o " + Quote(dir / "plain") +
                               " -q --no-report --release-flagged --key-file " + Quote(key_file));
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  CommandResult hashed =
      Redact("batch " + Quote(input) + " -o " + Quote(dir / "hash") +
             " -q --no-report --release-flagged --audit-text hash --key-file " + Quote(key_file));
  ASSERT_EQ(hashed.exit_code, plain.exit_code) << hashed.out;
  const Seen p = Collect(dir / "plain"), h = Collect(dir / "hash");
  ASSERT_GE(p.texts.size(), 10u) << "too few findings to attack";
  ASSERT_FALSE(h.hashes.empty());
  EXPECT_TRUE(Collect(dir / "hash").texts.empty()) << "hash mode carries text";

  // The key was made on first use, the owner's alone, in a folder of the owner's alone.
  struct stat st;
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  std::set<std::string> dictionary;
  for (const std::string& t : p.texts) {
    dictionary.insert(t);
    dictionary.insert(LowerAscii(t));
    dictionary.insert(NormalizeForMatch(t));
  }
  int reversed_hashes = 0, reversed_fingerprints = 0;
  for (const std::string& word : dictionary) {
    reversed_hashes += h.hashes.count(Sha256Hex(word));
    for (const std::string& rule : p.rules) {
      for (int n = 0; n < 10; ++n) {
        const std::string fp =
            Sha256Hex(rule + "\n" + NormalizeForMatch(word) + "\n" + std::to_string(n))
                .substr(0, 16);
        reversed_fingerprints += h.fingerprints.count(fp);
      }
    }
  }
  EXPECT_EQ(reversed_hashes, 0);
  EXPECT_EQ(reversed_fingerprints, 0);

  // With the key the same guesses do find them (so the attack above could have succeeded),
  // and the fingerprints are the same in both runs (decisions still match).
  const std::string key = ReadAll(key_file).substr(0, 64);
  int found = 0;
  for (const std::string& word : dictionary) found += h.hashes.count(HmacSha256Hex(key, word));
  EXPECT_GE(found, int(h.hashes.size()) / 2) << "the keyed hashes are not HMAC-SHA256 of the text";
  EXPECT_EQ(p.fingerprints, h.fingerprints);
  const nlohmann::json start = AuditRecords(dir / "hash").front();
  EXPECT_EQ(start["options"]["audit_key_id"], AuditKeyId(key));
  EXPECT_EQ(ReadAll(dir / "hash/audit/audit.jsonl").find(key), std::string::npos);

  // Another installation's key: no fingerprint in common, so documents cannot be linked
  // across them either.
  CommandResult other =
      Redact("batch " + Quote(input) + " -o " + Quote(dir / "other") +
             " -q --no-report --release-flagged --key-file " + Quote(dir / "keys/other.key"));
  ASSERT_EQ(other.exit_code, plain.exit_code) << other.out;
  const Seen o = Collect(dir / "other");
  for (const std::string& fp : o.fingerprints) EXPECT_EQ(p.fingerprints.count(fp), 0u) << fp;
}

TEST(AuditSecrecy, AKeyOthersCanReadIsRefusedSayingHowToFixIt) {
  TempDir dir;
  WriteAll(dir / "audit.key", std::string(64, 'a') + "\n");
  fs::permissions(dir / "audit.key", fs::perms::owner_read | fs::perms::owner_write |
                                         fs::perms::group_read | fs::perms::others_read);
  WriteAll(dir / "in/a.txt", "Contact Dr Jane Smith on 01632 960123.\n");
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") +
                           " -q --key-file " + Quote(dir / "audit.key"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("can be read or changed by others"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chmod 600"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out/release/a.txt"));
}

}  // namespace
}  // namespace redact
