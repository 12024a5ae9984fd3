#!/usr/bin/env bash
# Runs one libFuzzer target for a while.
# Usage: scripts/fuzz.sh TARGET SECONDS
#   TARGET: rule_loader, page_text, ingest_extract, office_package, email, png_codec or
#           g4_codec (the last two: the hand-written PNG and G4 encoders against libpng's
#           decoder and libtiff's encoder; a difference traps)
# Builds build-fuzz/ with clang (ASan + UBSan + libFuzzer) if needed. The growing corpus is
# kept in build-fuzz/corpus/TARGET, seeded from the shipped rules and samples; a crash is
# written to build-fuzz/crashes/TARGET/. Fix it, then copy the input into
# tests/data/fuzz/TARGET/ so the ordinary test suite replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
case $target in rule_loader|page_text|ingest_extract|office_package|email|png_codec|g4_codec) ;; *)
  echo "unknown target '$target': rule_loader, page_text, ingest_extract, office_package, email, png_codec or g4_codec" >&2
  exit 1 ;;
esac
command -v clang++ >/dev/null || { echo "clang++ is needed: apt-get install clang" >&2; exit 1; }
if [[ ! -x build-fuzz/fuzz_$target ]]; then
  CXX=clang++ CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREDACT_FUZZ=ON \
    -DBUILD_TESTING=OFF >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target "fuzz_$target"
fi
corpus=build-fuzz/corpus/$target
crashes=build-fuzz/crashes/$target
mkdir -p "$corpus" "$crashes"
seeds=()
case $target in
  rule_loader) seeds=(rules/uk-foi tests/data/invalid_rules tests/data/rules_local) ;;
  ingest_extract) seeds=(samples samples/council) ;;
  office_package) seeds=(tests/data/office) ;;
  email) seeds=(tests/data/email) ;;
esac
[[ -d tests/data/fuzz/$target ]] && seeds+=("tests/data/fuzz/$target")
# One worker: the machine's other core stays free. Leaks in Poppler and Tesseract's
# process-wide caches are not this project's to fix, so leak detection is off.
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
  "build-fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 \
  -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "${seeds[@]}"
