#pragma once
// A small client of the Chrome DevTools Protocol over --remote-debugging-pipe (no WebSocket:
// chromium reads commands from fd 3 and writes answers to fd 4, each a JSON text ended by a
// NUL byte), enough to drive a page the way a user would: navigate, evaluate, mouse, capture.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace redact::testing {

class Chromium {
 public:
  Chromium() = default;
  Chromium(const Chromium&) = delete;
  ~Chromium() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (to_ >= 0) ::close(to_);
    if (from_ >= 0) ::close(from_);
  }

  // Starts headless chromium with its own profile in `profile`; false if it cannot.
  bool Start(const std::string& profile, int width = 1500, int height = 1800) {
    int in[2], out[2];  // in: we write, chromium reads (its fd 3); out: the reverse (its fd 4)
    if (::pipe(in) != 0 || ::pipe(out) != 0) return false;
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::dup2(in[0], 3);
      ::dup2(out[1], 4);
      for (int fd : {in[0], in[1], out[0], out[1]}) {
        if (fd > 4) ::close(fd);
      }
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      const std::string size =
          "--window-size=" + std::to_string(width) + "," + std::to_string(height);
      const std::string dir = "--user-data-dir=" + profile;
      execlp("chromium", "chromium", "--headless=new", "--remote-debugging-pipe", "--no-sandbox",
             "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--disable-background-networking", "--disable-dev-shm-usage", size.c_str(),
             dir.c_str(), "about:blank", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    return true;
  }

  // Sends a command and waits for its answer (events in between are skipped). The answer's
  // "result", or a JSON with "error".
  nlohmann::json Call(const std::string& method,
                      const nlohmann::json& params = nlohmann::json::object(),
                      const std::string& session = "", double seconds = 30) {
    const int id = ++next_id_;
    nlohmann::json msg = {{"id", id}, {"method", method}, {"params", params}};
    if (!session.empty()) msg["sessionId"] = session;
    const std::string text = msg.dump() + std::string(1, '\0');
    if (::write(to_, text.data(), text.size()) != ssize_t(text.size())) {
      return {{"error", "write failed"}};
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      std::string m;
      if (!Next(&m, deadline)) break;
      nlohmann::json j = nlohmann::json::parse(m, nullptr, false);
      if (j.is_object() && j.value("id", 0) == id) {
        if (j.contains("error")) return {{"error", j["error"]}};
        return j.value("result", nlohmann::json::object());
      }
    }
    return {{"error", "no answer to " + method}};
  }

  // Opens `url` in a new tab; the session to address it by (empty on failure).
  std::string Open(const std::string& url) {
    nlohmann::json t = Call("Target.createTarget", {{"url", "about:blank"}});
    if (!t.contains("targetId")) return "";
    nlohmann::json a =
        Call("Target.attachToTarget", {{"targetId", t["targetId"]}, {"flatten", true}});
    const std::string session = a.value("sessionId", "");
    if (session.empty()) return "";
    Call("Page.enable", {}, session);
    Call("Runtime.enable", {}, session);
    Call("Page.navigate", {{"url", url}}, session);
    return session;
  }

  // The value of a JavaScript expression in the page (promises awaited).
  nlohmann::json Eval(const std::string& session, const std::string& expression) {
    nlohmann::json r = Call(
        "Runtime.evaluate",
        {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}}, session);
    if (r.contains("exceptionDetails")) return {{"exception", r["exceptionDetails"]}};
    return r.contains("result") ? r["result"].value("value", nlohmann::json()) : r;
  }

  // Polls `expression` until it is true, at most `seconds`.
  bool WaitFor(const std::string& session, const std::string& expression, double seconds = 20) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      if (Eval(session, "!!(" + expression + ")") == true) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // A mouse drag from (x0, y0) to (x1, y1), in CSS pixels of the viewport.
  void Drag(const std::string& session, double x0, double y0, double x1, double y1) {
    auto mouse = [&](const char* type, double x, double y, int buttons) {
      Call("Input.dispatchMouseEvent",
           {{"type", type},
            {"x", x},
            {"y", y},
            {"button", "left"},
            {"buttons", buttons},
            {"clickCount", 1}},
           session);
    };
    mouse("mouseMoved", x0, y0, 0);
    mouse("mousePressed", x0, y0, 1);
    for (int i = 1; i <= 5; ++i) {
      mouse("mouseMoved", x0 + (x1 - x0) * i / 5, y0 + (y1 - y0) * i / 5, 1);
    }
    mouse("mouseReleased", x1, y1, 0);
  }

  // A PNG of the viewport as shown, base64 (as the protocol gives it).
  std::string ScreenshotBase64(const std::string& session) {
    return Call("Page.captureScreenshot", {{"format", "png"}}, session).value("data", "");
  }

 private:
  // The next message, or false at the deadline or end of the pipe.
  bool Next(std::string* out, std::chrono::steady_clock::time_point deadline) {
    while (true) {
      const size_t nul = buffer_.find('\0');
      if (nul != std::string::npos) {
        *out = buffer_.substr(0, nul);
        buffer_.erase(0, nul + 1);
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) return false;
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, int(left)) <= 0) return false;
      char buf[65536];
      const ssize_t n = ::read(from_, buf, sizeof buf);
      if (n <= 0) return false;
      buffer_.append(buf, size_t(n));
    }
  }

  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  int next_id_ = 0;
  std::string buffer_;
};

}  // namespace redact::testing
