// The README's "working setup for an FOI unit", done for real: a system user for the daemon,
// the unit's group, a setgid inbox and OUT, the daemon's key in a folder of the group, the
// example configuration. Drafts are dropped by one member; another member decides their
// flags through the review application's API and applies; the releases carry each flag's own
// exemption. Needs root (useradd, groupadd, setpriv); skips otherwise.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

extern char** environ;

namespace redact::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A group and users made for the test, removed after it.
class UnixAccounts {
 public:
  UnixAccounts() {
    const std::string id = std::to_string(::getpid() % 100000);
    group = "rfoi" + id;
    daemon = "rdmn" + id;
    drafter = "rdrf" + id;
    reviewer = "rrev" + id;
    ok =
        RunCommand("groupadd " + group).exit_code == 0 &&
        RunCommand("useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin -G " +
                   group + " " + daemon)
                .exit_code == 0 &&
        RunCommand("useradd --no-create-home --shell /usr/sbin/nologin -G " + group + " " + drafter)
                .exit_code == 0 &&
        RunCommand("useradd --no-create-home --shell /usr/sbin/nologin -G " + group + " " +
                   reviewer)
                .exit_code == 0;
  }
  ~UnixAccounts() {
    for (const std::string& u : {daemon, drafter, reviewer}) RunCommand("userdel " + u);
    RunCommand("groupdel " + group);
  }
  std::string group, daemon, drafter, reviewer;
  bool ok = false;
};

// `argv` run as `user` (its own groups, the unit's among them) with `umask`, in the
// background; standard output and error go to `log`.
pid_t SpawnAs(const std::string& user, mode_t umask, const std::vector<std::string>& argv,
              const std::string& log, const std::vector<std::string>& env = {}) {
  std::vector<std::string> all;
  if (!user.empty()) {
    all = {"/usr/bin/setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"};
  }
  all.insert(all.end(), argv.begin(), argv.end());
  std::vector<char*> cargv;
  for (std::string& a : all) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> envs = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/nonexistent",
                                   "LANG=C.UTF-8"};
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> cenv;
  for (std::string& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  const mode_t old = ::umask(umask);
  pid_t pid = -1;
  if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data()) != 0) pid = -1;
  ::umask(old);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int Finish(pid_t pid, int sig) {
  if (sig) ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A command run as `user` to its end (`umask` for what it writes).
CommandResult RunAs(const std::string& user, const std::string& command, mode_t umask = 022) {
  const mode_t old = ::umask(umask);
  CommandResult r = RunCommand((user.empty() ? std::string()
                                             : "/usr/bin/setpriv --reuid=" + user +
                                                   " --regid=" + user + " --init-groups -- ") +
                               "env HOME=/nonexistent " + command);
  ::umask(old);
  return r;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit = 180s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

std::string Owner(const std::string& path, mode_t* mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  *mode = st.st_mode & 07777;
  const struct group* g = ::getgrgid(st.st_gid);
  return g ? g->gr_name : "";
}

// The review API, as the reviewer's browser would call it (curl from this machine).
json Api(const std::string& url, const std::string& path, const json& body = nullptr) {
  const std::string base = url.substr(0, url.find("/?token="));
  const std::string token = url.substr(url.find("token=") + 6);
  std::string cmd = "curl -s -H 'X-Redact-Token: " + token + "' ";
  if (!body.is_null()) {
    cmd += "-H 'Content-Type: application/json' --data-binary " + Quote(body.dump()) + " ";
  }
  CommandResult r = RunCommand(cmd + Quote(base + path));
  return json::parse(r.out, nullptr, false);
}

// The daemon's drafts dropped, decided through the review API and applied. With `accounts`,
// as the README's FOI unit: the daemon, the drafter and the reviewer each their own user in
// one group; without, all as this process's user (the same flow where root is not had).
void DecideTheDaemonsDrafts(const UnixAccounts* accounts) {
  const std::string no_one;
  const std::string& daemon_user = accounts ? accounts->daemon : no_one;
  const std::string& drafter = accounts ? accounts->drafter : no_one;
  const std::string& reviewer = accounts ? accounts->reviewer : no_one;
  TempDir dir;
  fs::permissions(dir.path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const std::string inbox = dir / "inbox", out = dir / "out", state = dir / "state";
  // The README's folders: the inbox and OUT setgid and the group's, the key's folder too.
  for (const auto& [path, mode] : std::vector<std::pair<std::string, std::string>>{
           {inbox, "2770"}, {out, "2770"}, {state, "2750"}}) {
    const std::string owner =
        accounts ? "-o " + accounts->daemon + " -g " + accounts->group + " " : "";
    ASSERT_EQ(RunCommand("install -d " + owner + "-m " + mode + " " + Quote(path)).exit_code, 0);
  }
  mode_t mode = 0;
  const std::string foi = Owner(inbox, &mode);

  const std::string config = dir / "redact.toml";
  WriteAll(config, "inbox = \"" + inbox + "\"\nout = \"" + out + "\"\nrules = [\"" + kSourceDir +
                       "/rules\"]\njobs = 1\naudit-text = \"hash\"\nlog-format = \"text\"\n"
                       "key-file = \"" +
                       state + "/audit.key\"\n");
  ::chmod(config.c_str(), 0644);

  // The unit's check, as the daemon's user, passes (and makes the key, the group's to read).
  CommandResult check =
      RunAs(daemon_user, Quote(kBin) + " watch --config " + Quote(config) + " --check-config", 027);
  ASSERT_EQ(check.exit_code, 0) << check.out;
  EXPECT_EQ(Owner(state + "/audit.key", &mode), foi);
  EXPECT_EQ(mode, 0640u);

  const pid_t daemon =
      SpawnAs(daemon_user, 027, {kBin, "watch", "--config", config}, dir / "daemon.log");
  ASSERT_GT(daemon, 0);
  // One member drops two drafts of one name, one after the other, each with a protective
  // marking: a flag (internal.marking, s.36(2)(c)) that holds its document for a decision.
  const std::string draft1 = dir / "a.txt", draft2 = dir / "b.txt";
  WriteAll(draft1,
           "Response to request 2291\n\nOFFICIAL-SENSITIVE\n\nThe committee met on 3 May.\n");
  WriteAll(draft2, "Response to request 3310\n\nOFFICIAL-SENSITIVE\n\nThe budget was agreed.\n");
  ::chmod(draft1.c_str(), 0644);
  ::chmod(draft2.c_str(), 0644);
  const auto status = [&] {
    return json::parse(ReadAll(out + "/audit/status.json"), nullptr, false);
  };
  const auto done = [&](int n) {
    json s = status();
    return s.is_object() && s.value("processed", 0) == n && s["queued"] == 0 &&
           s["in_progress"].empty();
  };
  ASSERT_EQ(RunAs(drafter, "cp " + Quote(draft1) + " " + Quote(inbox + "/response.txt")).exit_code,
            0);
  ASSERT_TRUE(WaitFor([&] { return done(1); })) << ReadAll(dir / "daemon.log");
  // Another member reviews: the server runs as them, with the daemon's configuration.
  const std::string review_log = dir / "review.log";
  const pid_t review =
      SpawnAs(reviewer, 022, {kBin, "review", out}, review_log, {"REDACT_CONFIG=" + config});
  ASSERT_GT(review, 0);
  std::string url;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::smatch m;
        const std::string text = ReadAll(review_log);
        if (!std::regex_search(text, m,
                               std::regex("http://127\\.0\\.0\\.1:[0-9]+/\\?token=[0-9a-f]+"))) {
          return false;
        }
        url = m.str();
        return true;
      },
      60s))
      << ReadAll(review_log);
  ASSERT_EQ(Api(url, "/api/state")["documents"].size(), 1u);
  ASSERT_EQ(RunAs(drafter, "cp " + Quote(draft2) + " " + Quote(inbox + "/response.txt")).exit_code,
            0);
  ASSERT_TRUE(WaitFor([&] { return done(2); })) << ReadAll(dir / "daemon.log");
  EXPECT_TRUE(fs::exists(out + "/review/response.txt"));
  EXPECT_TRUE(fs::exists(out + "/review/response.2.txt"));

  // The daemon keeps the review files: decisions.toml with both documents' flags, and the
  // report, the group's to read and write.
  ASSERT_TRUE(WaitFor(
      [&] {
        return ReadAll(out + "/audit/report.html").find("response.2.txt") != std::string::npos;
      },
      60s));
  const std::string decisions = ReadAll(out + "/audit/decisions.toml");
  EXPECT_EQ(std::count(decisions.begin(), decisions.end(), '\n') > 0, true);
  size_t flags = 0;
  for (size_t at = 0; (at = decisions.find("rule = \"internal.marking\"", at)) != std::string::npos;
       ++at) {
    ++flags;
  }
  EXPECT_EQ(flags, 2u) << decisions;
  EXPECT_EQ(Owner(out + "/audit/decisions.toml", &mode), foi);
  EXPECT_EQ(mode & 0060, 0060u) << std::oct << mode;
  const std::string report = ReadAll(out + "/audit/report.html");
  EXPECT_NE(report.find("response.txt \u2192 response.2.txt"), std::string::npos)
      << "the second file of the name is not listed apart";

  // The page's list takes in what the daemon took since it opened.
  json st = Api(url, "/api/state");
  ASSERT_TRUE(st.is_object()) << ReadAll(review_log);
  ASSERT_EQ(st["documents"].size(), 2u) << st.dump(1);
  // A decision for a document by a number the list no longer gives it is refused.
  json stale = Api(url, "/api/decide",
                   {{"type", "page"},
                    {"doc", 0},
                    {"page", 1},
                    {"exemption", "s.40(2)"},
                    {"sha256", std::string(64, '0')}});
  EXPECT_NE(stale.value("error", "").find("reload the page"), std::string::npos) << stale;
  std::set<std::string> names;
  for (const json& d : st["documents"]) {
    names.insert(d.value("release_name", ""));
    // The draft's text, though the log keeps only a hash.
    json texts = Api(url, "/api/finding-texts?doc=" + std::to_string(d["id"].get<int>()));
    bool seen = false;
    for (const auto& [fp, text] : texts["texts"].items()) seen |= text == "OFFICIAL-SENSITIVE";
    EXPECT_TRUE(seen) << texts.dump();
    for (const json& f : d["findings"]) {
      if (f["rule"] != "internal.marking") continue;
      // Redact, with no exemption given: the flag keeps its own. The second document's
      // reviewer gives no name: the login name is recorded.
      json change = {{"type", "finding"},
                     {"doc", d["id"]},
                     {"fingerprint", f["fingerprint"]},
                     {"decision", "redact"}};
      if (d.value("release_name", "") == "response.txt") change["reviewer"] = "Alice Member";
      json r = Api(url, "/api/decide", change);
      ASSERT_TRUE(r.contains("documents")) << r.dump();
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"response.txt", "response.2.txt"}));
  json applied = Api(url, "/api/apply", json{{"reviewer", "Alice Member"}});
  ASSERT_TRUE(applied.is_object()) << ReadAll(review_log);
  EXPECT_EQ(applied.value("exit_code", -1), 0) << applied.dump(1);
  EXPECT_EQ(Finish(review, SIGTERM), 0);
  // Each document's decision stays in the file (the apply of one is not taken for a newer
  // version of the other).
  const std::string kept = ReadAll(out + "/audit/decisions.toml");
  size_t decided_entries = 0;
  for (size_t at = 0; (at = kept.find("\ndecision = \"redact\"", at)) != std::string::npos; ++at) {
    ++decided_entries;
  }
  EXPECT_EQ(decided_entries, 2u) << kept;

  // Both released under their own names, each flag redacted with its own exemption.
  for (const char* name : {"response.txt", "response.2.txt"}) {
    const std::string text = ReadAll(out + "/release/" + std::string(name));
    EXPECT_NE(text.find("[REDACTED s.36(2)(c)]"), std::string::npos) << name << ":\n" << text;
    EXPECT_EQ(text.find("OFFICIAL-SENSITIVE"), std::string::npos) << name;
    EXPECT_FALSE(fs::exists(out + "/review/" + std::string(name))) << name;
  }
  EXPECT_NE(ReadAll(out + "/release/response.txt").find("2291"), std::string::npos);
  EXPECT_NE(ReadAll(out + "/release/response.2.txt").find("3310"), std::string::npos);
  // The report written again: nothing waits; it links the releases.
  const std::string after = ReadAll(out + "/audit/report.html");
  EXPECT_EQ(after.find("wait for a decision"), std::string::npos);
  EXPECT_NE(after.find("href=\"../release/response.2.txt\""), std::string::npos);
  // The daemon carries on over the reviewer's writes: a third draft, and one chain.
  ASSERT_EQ(RunAs(drafter, "cp " + Quote(draft1) + " " + Quote(inbox + "/later.txt")).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return done(3); })) << ReadAll(dir / "daemon.log");
  if (accounts) {
    // A staff folder made with the default umask: the daemon may not take files out of it. It
    // says so once (not at every settle period) and in status.json; once the folder is mended
    // the file is taken.
    ASSERT_EQ(
        RunAs(drafter, "sh -c " + Quote("mkdir " + Quote(inbox + "/staff") + " && cp " +
                                        Quote(draft2) + " " + Quote(inbox + "/staff/memo.txt")))
            .exit_code,
        0);
    ASSERT_TRUE(WaitFor([&] {
      json s = status();
      return s.is_object() && s["last_error"].is_object() && s["last_error"]["stage"] == "claim";
    })) << ReadAll(dir / "daemon.log");
    EXPECT_NE(status()["last_error"].value("error", "").find("chmod g+w"), std::string::npos);
    std::this_thread::sleep_for(5s);  // two settle periods and more: no second line
    const std::string log = ReadAll(dir / "daemon.log");
    size_t refusals = 0;
    for (size_t at = 0;
         (at = log.find("cannot move it into the work folder", at)) != std::string::npos; ++at) {
      ++refusals;
    }
    EXPECT_EQ(refusals, 1u) << log;
    ASSERT_EQ(RunAs(drafter, "chmod g+w " + Quote(inbox + "/staff")).exit_code, 0);
  } else {
    ASSERT_EQ(RunCommand("mkdir " + Quote(inbox + "/staff") + " && cp " + Quote(draft2) + " " +
                         Quote(inbox + "/staff/memo.txt"))
                  .exit_code,
              0);
  }
  ASSERT_TRUE(WaitFor([&] { return done(4); })) << ReadAll(dir / "daemon.log");
  EXPECT_EQ(Finish(daemon, SIGTERM), 0) << ReadAll(dir / "daemon.log");
  CommandResult verify = Redact("audit verify " + Quote(out + "/audit/audit.jsonl"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  const struct passwd* me = accounts ? ::getpwnam(reviewer.c_str()) : ::getpwuid(::getuid());
  ASSERT_NE(me, nullptr);
  const std::string login = me->pw_name;
  std::map<std::string, std::string> decided;  // release name -> who decided its flag
  for (const json& r : AuditRecords(out)) {
    if (r["event"] != "document") continue;
    for (const json& f : r["findings"]) {
      if (f["rule"] == "internal.marking" && f.contains("decided_by") &&
          f["exemption"] == "s.36(2)(c)") {
        decided[r.value("release_name", "")] = f["decided_by"];
      }
    }
  }
  EXPECT_EQ(decided, (std::map<std::string, std::string>{{"response.txt", "Alice Member"},
                                                         {"response.2.txt", login}}));
}

TEST(ReviewAsAGroup, TheReadmesSetupDecidedByAnotherMemberOfTheUnit) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (useradd, groupadd, setpriv)";
  if (RunCommand("command -v useradd && command -v setpriv && command -v curl").exit_code != 0) {
    GTEST_SKIP() << "useradd, setpriv or curl missing";
  }
  UnixAccounts accounts;
  ASSERT_TRUE(accounts.ok) << "could not make the test's users and group";
  DecideTheDaemonsDrafts(&accounts);
}

TEST(ReviewAsAGroup, TheDaemonsDraftsDecidedThroughTheReviewApiAsOneUser) {
  if (RunCommand("command -v curl").exit_code != 0) GTEST_SKIP() << "curl missing";
  DecideTheDaemonsDrafts(nullptr);
}

}  // namespace
}  // namespace redact::testing
