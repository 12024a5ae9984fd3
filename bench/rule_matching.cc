// Rule matching throughput: every rule of the default packs over pages of corpus text, as the
// pipeline runs them (one FindSpans per page). Prints bytes/s.
//
// Two more figures show what RE2 itself allows on the same pages, as floors for the first:
// BM_WhichRulesFire is the RE2::Set pass alone (which rules match a page, not where), and
// BM_AllRulesOnePass finds match positions for every rule in one search, as one alternation
// of all the patterns. That alternation cannot say which rule matched and loses a match that
// overlaps another rule's, so the matcher cannot use it; it is the fastest way RE2 reports
// positions at all.
//
// The text comes from $REDACT_BENCH_TEXT (pages separated by form feeds, as pdftotext writes
// them; scripts/bench.sh makes it from the shared corpus), repeated to 10 MB. Without it, the
// shipped samples' text is used.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "pipeline/rules/rule_loader.h"

namespace {

constexpr size_t kTarget = size_t(10) << 20;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Pages of the benchmark text, about 10 MB in all.
const std::vector<std::string>& Pages() {
  static const std::vector<std::string> pages = [] {
    std::string source;
    if (const char* path = std::getenv("REDACT_BENCH_TEXT")) source = ReadWhole(path);
    if (source.empty()) {
      source =
          ReadWhole(std::string(REDACT_SOURCE_DIR) + "/samples/council/network-upgrade-draft.txt");
    }
    std::vector<std::string> one;
    std::string page;
    for (char c : source) {
      if (c == '\f') {
        if (!page.empty()) one.push_back(page);
        page.clear();
      } else {
        page += c;
      }
    }
    if (!page.empty()) one.push_back(page);
    std::vector<std::string> all;
    size_t bytes = 0;
    while (bytes < kTarget && !one.empty()) {
      for (const std::string& p : one) {
        all.push_back(p);
        bytes += p.size();
        if (bytes >= kTarget) break;
      }
    }
    return all;
  }();
  return pages;
}

int64_t TotalBytes(const std::vector<std::string>& pages) {
  int64_t bytes = 0;
  for (const std::string& p : pages) bytes += int64_t(p.size());
  return bytes;
}

void BM_DefaultPacks(benchmark::State& state) {
  auto catalog = redact::LoadRules({std::string(REDACT_SOURCE_DIR) + "/rules"});
  if (!catalog.ok()) {
    state.SkipWithError(catalog.status().message().c_str());
    return;
  }
  const auto& pages = Pages();
  size_t spans = 0;
  for (auto _ : state) {
    for (const std::string& p : pages) {
      auto found = catalog->matcher->FindSpans(p);
      if (!found.ok()) {
        state.SkipWithError(found.status().message().c_str());
        return;
      }
      spans += found->size();
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * TotalBytes(pages));
  state.counters["rules"] = double(catalog->matcher->rules().size());
  state.counters["pages"] = double(pages.size());
  state.counters["spans_per_pass"] = double(spans) / double(state.iterations());
}
BENCHMARK(BM_DefaultPacks)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The enabled patterns of the default packs as the matcher compiles them ("(?i)" added to the
// case-insensitive ones); empty (with the error set on `state`) if the packs do not load.
std::vector<std::string> EnabledPatterns(benchmark::State& state) {
  auto catalog = redact::LoadRules({std::string(REDACT_SOURCE_DIR) + "/rules"});
  if (!catalog.ok()) {
    state.SkipWithError(catalog.status().message().c_str());
    return {};
  }
  std::vector<std::string> patterns;
  for (const redact::Rule& r : catalog->matcher->rules()) {
    if (r.enabled) patterns.push_back(r.pattern);
  }
  return patterns;
}

RE2::Options EngineOptions(int64_t max_mem) {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_log_errors(false);
  o.set_max_mem(max_mem);
  return o;
}

void BM_WhichRulesFire(benchmark::State& state) {
  const std::vector<std::string> patterns = EnabledPatterns(state);
  if (patterns.empty()) return;
  RE2::Set set(EngineOptions(int64_t(64) << 20), RE2::UNANCHORED);
  for (const std::string& p : patterns) set.Add(p, nullptr);
  if (!set.Compile()) {
    state.SkipWithError("RE2::Set did not compile");
    return;
  }
  const auto& pages = Pages();
  std::vector<int> hits;
  size_t fired = 0;
  for (auto _ : state) {
    for (const std::string& p : pages) {
      hits.clear();
      set.Match(p, &hits);
      fired += hits.size();
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * TotalBytes(pages));
  state.counters["rules_fired_per_page"] =
      double(fired) / double(state.iterations()) / double(pages.size());
}
BENCHMARK(BM_WhichRulesFire)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_AllRulesOnePass(benchmark::State& state) {
  const std::vector<std::string> patterns = EnabledPatterns(state);
  if (patterns.empty()) return;
  std::string alternation;
  for (const std::string& p : patterns) {
    alternation += (alternation.empty() ? "(?:" : "|(?:") + p + ")";
  }
  RE2 re(alternation, EngineOptions(int64_t(256) << 20));
  if (!re.ok()) {
    state.SkipWithError(re.error().c_str());
    return;
  }
  const auto& pages = Pages();
  size_t found = 0;
  for (auto _ : state) {
    for (const std::string& p : pages) {
      re2::StringPiece m;
      size_t pos = 0;
      while (pos <= p.size() && re.Match(p, pos, p.size(), RE2::UNANCHORED, &m, 1)) {
        const size_t b = size_t(m.data() - p.data());
        const size_t e = b + m.size();
        pos = e > b ? e : b + 1;
        ++found;
      }
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * TotalBytes(pages));
  state.counters["spans_per_page"] =
      double(found) / double(state.iterations()) / double(pages.size());
}
BENCHMARK(BM_AllRulesOnePass)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
