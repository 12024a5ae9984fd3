#!/usr/bin/env bash
# Benchmarks redact against the floor it cannot beat: rendering the same pages with pdftoppm.
# Usage: scripts/bench.sh [CORPUS_DIR]
#   CORPUS_DIR defaults to build/bench-corpus, made with ../shared/corpus/make_corpus.py.
# Prints wall time, CPU seconds, pages/s and peak RSS for each, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
redact=build/redact
[[ -x $redact ]] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
corpus=${1:-build/bench-corpus}
shared=${REDACT_SHARED:-../shared}
if [[ ! -f $corpus/big/foi-long.pdf ]]; then
  [[ -x $shared/corpus/make_corpus.py ]] || { echo "no corpus and no $shared/corpus/make_corpus.py" >&2; exit 1; }
  echo "building the corpus in $corpus ..." >&2
  /usr/bin/python3 "$shared/corpus/make_corpus.py" "$corpus" >/dev/null
fi
big=$corpus/big/foi-long.pdf
pages=$(pdfinfo "$big" | awk '/^Pages:/ {print $2}')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: runs CMD three times and keeps the fastest run (the machine is shared).
measure() {
  local name=$1; shift
  local best=""
  for _ in 1 2 3; do
    rm -rf "$tmp/out"; mkdir -p "$tmp/out"
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >/dev/null 2>&1
    read -r wall user sys rss < "$tmp/time"
    cpu=$(echo "$user + $sys" | bc)
    if [[ -z $best ]] || (( $(echo "$cpu < ${best%% *}" | bc) )); then best="$cpu $wall $rss"; fi
  done
  echo "$name $best"
}

echo "document: $big ($pages pages)"
# The reviewer report (thumbnails) is left out: this measures the redaction pipeline.
r1=$(measure redact-j1 "$redact" batch "$big" -o "$tmp/out" --quiet --no-report --jobs 1)
r2=$(measure redact-j2 "$redact" batch "$big" -o "$tmp/out" --quiet --no-report --jobs 2)
p=$(measure pdftoppm pdftoppm -r 200 -gray "$big" "$tmp/out/p")
printf "%-12s %10s %10s %10s %10s\n" what cpu_s wall_s pages/s peak_MB
for row in "$r1" "$r2" "$p"; do
  read -r name cpu wall rss <<<"$row"
  printf "%-12s %10.2f %10.2f %10.1f %10.1f\n" "$name" "$cpu" "$wall" "$(echo "$pages / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done
read -r _ c1 w1 _ <<<"$r1"
read -r _ c2 w2 _ <<<"$r2"
read -r _ cp wp _ <<<"$p"
printf "cpu ratio redact/pdftoppm: %.2f\n" "$(echo "$c1 / $cp" | bc -l)"
printf "wall ratio redact --jobs 2 / pdftoppm: %.2f\n" "$(echo "$w2 / $wp" | bc -l)"

# Scanned pages: the same page images through redact and through the tesseract CLI.
mkdir -p "$tmp/scans"
cp "$corpus"/scan/*-p1.jpg "$tmp/scans/"
n=$(ls "$tmp/scans" | wc -l)
echo
echo "scanned pages: $n JPEG page images from $corpus/scan"
s1=$(measure redact-ocr "$redact" batch "$tmp/scans" -o "$tmp/out" --quiet --no-report --jobs 1)
s2=$(measure tesseract env OMP_THREAD_LIMIT=1 sh -c 'for f in "$1"/*.jpg; do tesseract "$f" - >/dev/null 2>&1; done' sh "$tmp/scans")
printf "%-12s %10s %10s\n" what cpu_s cpu_s/page
for row in "$s1" "$s2"; do
  read -r name cpu wall rss <<<"$row"
  printf "%-12s %10.2f %10.2f\n" "$name" "$cpu" "$(echo "$cpu / $n" | bc -l)"
done
read -r _ o1 _ _ <<<"$s1"
read -r _ o2 _ _ <<<"$s2"
printf "cpu ratio redact/tesseract per scanned page: %.2f\n" "$(echo "$o1 / $o2" | bc -l)"
