// Rule matching throughput: every rule of the default packs over pages of corpus text, as the
// pipeline runs them (one FindSpans per page). Prints bytes/s.
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

void BM_DefaultPacks(benchmark::State& state) {
  auto catalog = redact::LoadRules({std::string(REDACT_SOURCE_DIR) + "/rules"});
  if (!catalog.ok()) {
    state.SkipWithError(catalog.status().message().c_str());
    return;
  }
  const auto& pages = Pages();
  size_t bytes = 0, spans = 0;
  for (const std::string& p : pages) bytes += p.size();
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
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  state.counters["rules"] = double(catalog->matcher->rules().size());
  state.counters["pages"] = double(pages.size());
  state.counters["spans_per_pass"] = double(spans) / double(state.iterations());
}
BENCHMARK(BM_DefaultPacks)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
