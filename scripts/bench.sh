#!/usr/bin/env bash
# Measures redact against the floors it cannot beat, each as a ratio taken in the same run
# (the machine may be shared, so absolute times are not stable), and prints every target with
# PASS or FAIL. Exit status: 0 when all pass, 1 otherwise.
#
# Usage: scripts/bench.sh [CORPUS_DIR]
#   CORPUS_DIR defaults to build/bench-corpus, made with ../shared/corpus/make_corpus.py
#   ($REDACT_SHARED points elsewhere). Needs pdftoppm, pdftotext, qpdf, tesseract
#   and Debian's /usr/bin/python3; the rule-matching figure needs Google Benchmark
#   (libbenchmark-dev, built as build/bench/bench_rule_matching).
#
# Targets (issue "Performance"):
#   text-layer PDF (big/foi-long.pdf): CPU <= 1.5x pdftoppm -r 200 -gray; wall at --jobs 2
#     <= 0.85x pdftoppm's wall
#   one 200-page PDF: --jobs 2 >= 1.7x faster than --jobs 1, byte-identical releases and audit
#     records (--deterministic)
#   scanned pages: CPU per page <= 1.05x the tesseract CLI (OMP_THREAD_LIMIT=1)
#   rule matching: >= 200 MB/s over 10 MB of corpus text (Python's re printed beside it), and
#     with the word lists loaded <= 2% of a text page's CPU
#   memory: peak memory (whole process tree, proportional set sizes) at --jobs 2 <= 200 MB; the 200-page document's peak
#     <= 1.2x a 20-page document's
#   size: release text page <= 40 KB at the default DPI
#   Office: a 10-page DOCX end to end <= 1.3x soffice --convert-to pdf; 50 small DOCX at
#     --jobs 2 pay LibreOffice's start once per worker (a document's share <= 0.5x a start)
#   review: a page view in redact review <= 100 ms once rendered; apply for one document
#     <= 1.1x that document's batch run
#   report: the default command (report included) <= 1.05x --no-report in CPU and wall
#   issue #36, on the 51-page text PDF with the default command: CPU <= 2.0x the floor
#     (pdftoppm -r 200 -mono + pdftotext -bbox-layout) and <= MuPDF's regex redaction (mutool
#     run bench/mupdf_redact.js, if mupdf-tools is installed); wall at --jobs 2 <= 0.6x --jobs 1;
#     ten real e-mails <= 0.5 s CPU a message; a notice with a logo on each page (--ocr auto)
#     <= 1.3x its --ocr never CPU
#   widths: the width attack (bench/width_attack.py) on the corpus's text drafts and scans:
#     top-1 = 0% and top-5 <= 5% in every category with 20 or more candidates, and a median
#     consistent set 100x the one before (boxes as wide as their text) or the whole dictionary
set -euo pipefail
cd "$(dirname "$0")/.."
redact=build/redact
[[ -x $redact ]] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
corpus=${1:-build/bench-corpus}
shared=${REDACT_SHARED:-../shared}
py=/usr/bin/python3
if [[ ! -f $corpus/big/foi-long.pdf ]]; then
  [[ -f $shared/corpus/make_corpus.py ]] || { echo "no corpus and no $shared/corpus/make_corpus.py" >&2; exit 1; }
  echo "building the corpus in $corpus ..." >&2
  $py "$shared/corpus/make_corpus.py" "$corpus" >/dev/null
fi
big=$corpus/big/foi-long.pdf
pages=$(pdfinfo "$big" | awk '/^Pages:/ {print $2}')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# verdict NAME VALUE OP LIMIT UNIT: prints one target line and remembers a failure.
verdict() {
  local name=$1 value=$2 op=$3 limit=$4 unit=${5:-}
  local ok
  if [[ $op == "<=" ]]; then ok=$(echo "$value <= $limit" | bc -l); else ok=$(echo "$value >= $limit" | bc -l); fi
  local mark=PASS
  if [[ $ok != 1 ]]; then mark=FAIL; failed=1; fi
  printf "%-58s %10.2f%-5s target %s %s%s  %s\n" "$name" "$value" "$unit" "$op" "$limit" "$unit" "$mark"
}

# min A B: the smaller number (A may be empty).
min() { if [[ -z $1 ]] || (( $(echo "$2 < $1" | bc) )); then echo "$2"; else echo "$1"; fi; }
# measure_once CMD...: one run, "cpu wall rss_kb" (bench/cpu_wall.py: microseconds, where GNU
# time's hundredths would move a ratio of half-second runs by 2%).
measure_once() {
  rm -rf "$tmp/out"; mkdir -p "$tmp/out"
  $py bench/cpu_wall.py "$@" || true
}
# fastest_wall CMD...: the least wall time of three runs.
fastest_wall() {
  local best=""
  for _ in 1 2 3; do
    rm -rf "$tmp/out"; mkdir -p "$tmp/out"
    read -r _ w _ <<<"$($py bench/cpu_wall.py "$@" || true)"
    if [[ -z $best ]] || (( $(echo "$w < $best" | bc) )); then best=$w; fi
  done
  echo "$best"
}
# peak_tree_mb CMD...: peak summed RSS (MB) of CMD and its workers.
peak_tree_mb() {
  rm -rf "$tmp/out"; mkdir -p "$tmp/out"
  $py bench/peak_rss.py "$@" 2>&1 >/dev/null | awk '/^peak_rss_mb/ {print $2}'
}

echo "== text-layer PDF: $big ($pages pages); the reviewer report is left out (--no-report)"
# Interleaved rounds (redact --jobs 1, --jobs 2, pdftoppm), keeping each one's least CPU and
# least wall time, so that drift in a shared machine's speed falls on all three alike.
c1=""; w1=""; c2=""; w2=""; cp=""; wp=""
for _ in 1 2 3 4 5; do
  read -r c w _ <<<"$(measure_once "$redact" batch "$big" -o "$tmp/out" -q --no-report --jobs 1)"
  c1=$(min "$c1" "$c"); w1=$(min "$w1" "$w")
  read -r c w _ <<<"$(measure_once "$redact" batch "$big" -o "$tmp/out" -q --no-report --jobs 2)"
  c2=$(min "$c2" "$c"); w2=$(min "$w2" "$w")
  read -r c w _ <<<"$(measure_once pdftoppm -r 200 -gray "$big" "$tmp/out/p")"
  cp=$(min "$cp" "$c"); wp=$(min "$wp" "$w")
done
printf "  redact --jobs 1: %.2f CPU s, %.2f s wall (%.0f pages/s)\n" "$c1" "$w1" "$(echo "$pages / $w1" | bc -l)"
printf "  redact --jobs 2: %.2f CPU s, %.2f s wall (%.0f pages/s)\n" "$c2" "$w2" "$(echo "$pages / $w2" | bc -l)"
printf "  pdftoppm -r 200 -gray: %.2f CPU s, %.2f s wall\n" "$cp" "$wp"
verdict "CPU, redact --jobs 1 / pdftoppm" "$(echo "$c1 / $cp" | bc -l)" "<=" 1.5 x
verdict "wall, redact --jobs 2 / pdftoppm" "$(echo "$w2 / $wp" | bc -l)" "<=" 0.85 x
# The default command (the reviewer report included) against --no-report, interleaved, the
# least of nine of each (the difference is a few per cent: more rounds than above).
cd1=""; wd1=""; cn1=""; wn1=""
for _ in 1 2 3 4 5 6 7 8 9; do
  read -r c w _ <<<"$(measure_once "$redact" batch "$big" -o "$tmp/out" -q --jobs 2)"
  cd1=$(min "$cd1" "$c"); wd1=$(min "$wd1" "$w")
  read -r c w _ <<<"$(measure_once "$redact" batch "$big" -o "$tmp/out" -q --jobs 2 --no-report)"
  cn1=$(min "$cn1" "$c"); wn1=$(min "$wn1" "$w")
done
printf "  redact batch (with the report): %.2f CPU s, %.2f s wall; --no-report: %.2f CPU s, %.2f s wall\n" "$cd1" "$wd1" "$cn1" "$wn1"
verdict "CPU, the default command / --no-report" "$(echo "$cd1 / $cn1" | bc -l)" "<=" 1.05 x
verdict "wall, the default command / --no-report" "$(echo "$wd1 / $wn1" | bc -l)" "<=" 1.05 x
rm -rf "$tmp/out"; "$redact" batch "$big" -o "$tmp/out" -q --no-report --jobs 1
rel=$tmp/out/release/$(basename "$big")
verdict "size of a release text page" "$(echo "$(stat -c %s "$rel") / 1024 / $pages" | bc -l)" "<=" 40 KB

echo
echo "== issue #36: against the floor and the peers ($big, $pages pages; the default command)"
# The floor of the job: render each page once bilevel and read its words once. Interleaved
# with the default command (the report included) at --jobs 1 and 2, least CPU and wall of five.
fc=""; dc1=""; dw1=""; dw2=""; mc=""
mupdf=0; command -v mutool >/dev/null && mupdf=1
for _ in 1 2 3 4 5; do
  read -r c _ _ <<<"$(measure_once sh -c 'pdftoppm -r 200 -mono "$1" "$2/p" && pdftotext -bbox-layout "$1" "$2/t.html"' sh "$big" "$tmp/out")"
  fc=$(min "$fc" "$c")
  read -r c w _ <<<"$(measure_once "$redact" batch "$big" -o "$tmp/out" -q --jobs 1)"
  dc1=$(min "$dc1" "$c"); dw1=$(min "$dw1" "$w")
  read -r _ w _ <<<"$(measure_once "$redact" batch "$big" -o "$tmp/out" -q --jobs 2)"
  dw2=$(min "$dw2" "$w")
  if [[ $mupdf == 1 ]]; then
    read -r c _ _ <<<"$(measure_once mutool run bench/mupdf_redact.js "$big" "$tmp/out/mupdf.pdf")"
    mc=$(min "$mc" "$c")
  fi
done
printf "  floor (pdftoppm -r 200 -mono + pdftotext -bbox-layout): %.2f CPU s; redact: %.2f CPU s (%.1f ms a page)\n" \
  "$fc" "$dc1" "$(echo "$dc1 / $pages * 1000" | bc -l)"
verdict "CPU, the default command / the floor" "$(echo "$dc1 / $fc" | bc -l)" "<=" 2.0 x
if [[ $mupdf == 1 ]]; then
  printf "  MuPDF's regex redaction (mutool run bench/mupdf_redact.js): %.2f CPU s\n" "$mc"
  verdict "CPU, the default command / MuPDF's regex redaction" "$(echo "$dc1 / $mc" | bc -l)" "<=" 1.0 x
else
  echo "  mutool is not installed (apt-get install mupdf-tools): no MuPDF comparison"; failed=1
fi
printf "  wall: --jobs 1 %.2f s, --jobs 2 %.2f s\n" "$dw1" "$dw2"
verdict "wall, the default command --jobs 2 / --jobs 1" "$(echo "$dw2 / $dw1" | bc -l)" "<=" 0.6 x

# E-mail: ten real messages with their attachments, typeset (no LibreOffice for the messages).
mails=(raw_email_1 raw_email_2 raw_email_3 raw_email_4 raw_email_5 russian incoming-request-plain
       incoming-request-pdf-attachment forward-quoting-example rfc822-attachment)
if [[ -d $shared/realdocs/email ]]; then
  mkdir -p "$tmp/mail"
  for m in "${mails[@]}"; do cp "$shared/realdocs/email/$m.eml" "$tmp/mail/"; done
  ec=""
  for _ in 1 2 3; do
    read -r c _ _ <<<"$(measure_once "$redact" batch "$tmp/mail" -o "$tmp/out" -q --jobs 1 --release-flagged)"
    ec=$(min "$ec" "$c")
  done
  printf "  %d real messages (../shared/realdocs/email) with their attachments: %.2f CPU s\n" "${#mails[@]}" "$ec"
  verdict "e-mail, CPU a message" "$(echo "$ec / ${#mails[@]}" | bc -l)" "<=" 0.5 s
else
  echo "  $shared/realdocs/email is absent: no e-mail figure"; failed=1
fi

# A born-digital notice with a crest on every page (and a photograph and a signature): --ocr
# auto looks at each picture and reads none of the pages by OCR.
if $py tests/data/make_logo_notice_pdf.py "$tmp/notice.pdf" 10 2>/dev/null; then
  na=""; nn=""
  for _ in 1 2 3; do
    read -r c _ _ <<<"$(measure_once "$redact" batch "$tmp/notice.pdf" -o "$tmp/out" -q --jobs 1)"
    na=$(min "$na" "$c")
    read -r c _ _ <<<"$(measure_once "$redact" batch "$tmp/notice.pdf" -o "$tmp/out" -q --jobs 1 --ocr never)"
    nn=$(min "$nn" "$c")
  done
  printf "  a 10-page notice with a crest on each page: --ocr auto %.2f CPU s, --ocr never %.2f CPU s\n" "$na" "$nn"
  verdict "CPU, the logo notice --ocr auto / --ocr never" "$(echo "$na / $nn" | bc -l)" "<=" 1.3 x
else
  echo "  python3-fitz is needed to build the logo notice"; failed=1
fi

echo
echo "== one long document: $big four times over"
mkdir -p "$tmp/long"
qpdf --empty --pages "$big" "$big" "$big" "$big" -- "$tmp/long/long200.pdf"
qpdf --empty --pages "$big" 1-20 -- "$tmp/long20.pdf"
long_pages=$(pdfinfo "$tmp/long/long200.pdf" | awk '/^Pages:/ {print $2}')
lw1=$(fastest_wall "$redact" batch "$tmp/long/long200.pdf" -o "$tmp/out" -q --no-report --jobs 1)
lw2=$(fastest_wall "$redact" batch "$tmp/long/long200.pdf" -o "$tmp/out" -q --no-report --jobs 2)
printf "  %s pages: --jobs 1 %.2f s, --jobs 2 %.2f s wall\n" "$long_pages" "$lw1" "$lw2"
verdict "speed-up of --jobs 2 over --jobs 1 ($long_pages pages)" "$(echo "$lw1 / $lw2" | bc -l)" ">=" 1.7 x
for j in 1 2; do
  rm -rf "$tmp/det$j"
  "$redact" batch "$tmp/long/long200.pdf" -o "$tmp/det$j" -q --no-report --deterministic --jobs $j
done
same=1
cmp -s "$tmp/det1/release/long200.pdf" "$tmp/det2/release/long200.pdf" || same=0
cmp -s "$tmp/det1/release/long200.txt" "$tmp/det2/release/long200.txt" || same=0
docs() { grep '"event":"document"' "$1" | sed -e 's/"prev":"[0-9a-f]*",//' -e 's/"seq":[0-9]*,//'; }
[[ "$(docs "$tmp/det1/audit/audit.jsonl")" == "$(docs "$tmp/det2/audit/audit.jsonl")" ]] || same=0
verdict "--jobs 1 and 2 give identical release and audit (1 = yes)" "$same" ">=" 1

echo
echo "== memory (peak RSS of the whole process tree, --jobs 2)"
m20=$(peak_tree_mb "$redact" batch "$tmp/long20.pdf" -o "$tmp/out" -q --no-report --jobs 2)
m200=$(peak_tree_mb "$redact" batch "$tmp/long/long200.pdf" -o "$tmp/out" -q --no-report --jobs 2)
mall=$(peak_tree_mb "$redact" batch "$corpus" -o "$tmp/out" -q --no-report --jobs 2)
printf "  20 pages: %.1f MB; %s pages: %.1f MB; the whole corpus: %.1f MB\n" "$m20" "$long_pages" "$m200" "$mall"
verdict "peak RSS, whole corpus at --jobs 2" "$mall" "<=" 200 MB
verdict "peak RSS, $long_pages pages / 20 pages" "$(echo "$m200 / $m20" | bc -l)" "<=" 1.2 x

echo
mkdir -p "$tmp/scans"
cp "$corpus"/scan/*-p1.jpg "$tmp/scans/"
n=$(ls "$tmp/scans" | wc -l)
echo "== scanned pages: $n JPEG page images from $corpus/scan"
# Interleaved (redact, tesseract, redact, ...) so that drift in a shared machine's speed
# falls on both sides; the least CPU of five runs each.
s1=""; s2=""
for _ in 1 2 3 4 5; do
  read -r c _ _ <<<"$(measure_once "$redact" batch "$tmp/scans" -o "$tmp/out" -q --no-report --jobs 1)"
  s1=$(min "$s1" "$c")
  read -r c _ _ <<<"$(measure_once env OMP_THREAD_LIMIT=1 sh -c 'for f in "$1"/*.jpg; do tesseract "$f" - >/dev/null 2>&1; done' sh "$tmp/scans")"
  s2=$(min "$s2" "$c")
done
printf "  redact: %.2f CPU s per page; tesseract CLI: %.2f CPU s per page\n" "$(echo "$s1 / $n" | bc -l)" "$(echo "$s2 / $n" | bc -l)"
verdict "CPU per scanned page, redact / tesseract" "$(echo "$s1 / $s2" | bc -l)" "<=" 1.05 x

echo
echo "== rule matching: the default packs over the corpus's text, repeated to 10 MB"
for f in "$corpus"/text/*.pdf "$corpus"/big/*.pdf; do pdftotext -layout "$f" -; done > "$tmp/corpus.txt"
if [[ -x build/bench/bench_rule_matching ]]; then
  REDACT_BENCH_TEXT=$tmp/corpus.txt build/bench/bench_rule_matching --benchmark_format=json \
    --benchmark_out="$tmp/rules.json" >/dev/null 2>&1
  mbs_of() { $py -c 'import json,sys; b=[b for b in json.load(open(sys.argv[1]))["benchmarks"] if b["name"].startswith(sys.argv[2] + "/")][0]; print(b["bytes_per_second"]/1e6)' "$tmp/rules.json" "$1"; }
  mbs=$(mbs_of BM_DefaultPacks)
  printf "  redact (RE2::Set + RE2, per page): %.1f MB/s\n" "$mbs"
  printf "  %s\n" "$($py bench/rule_matching.py rules "$tmp/corpus.txt")"
  printf "  RE2's own floors on the same pages: which rules fire (RE2::Set alone) %.0f MB/s;\n" "$(mbs_of BM_WhichRulesFire)"
  printf "    positions from one alternation of every rule (no rule named, overlaps lost) %.0f MB/s\n" "$(mbs_of BM_AllRulesOnePass)"
  verdict "rule matching throughput" "$mbs" ">=" 200 MB/s
  # With the word lists loaded, matching a text page is a small part of what the page costs.
  page_bytes=$(echo "$(stat -c %s "$tmp/corpus.txt") / $(grep -c $'\f' "$tmp/corpus.txt")" | bc -l)
  match_ms=$(echo "$page_bytes / ($mbs * 1000000) * 1000" | bc -l)
  page_ms=$(echo "$c1 / $pages * 1000" | bc -l)
  printf "  a text page: %.0f bytes, matched in %.3f ms; redact spends %.1f ms CPU on it (--jobs 1)\n" \
    "$page_bytes" "$match_ms" "$page_ms"
  verdict "rule matching, share of a text page's CPU" "$(echo "$match_ms / $page_ms * 100" | bc -l)" "<=" 2 %
else
  echo "  build/bench/bench_rule_matching is missing (install libbenchmark-dev and rebuild)"
  failed=1
fi

echo
echo "== Office drafts: a 10-page DOCX, and 50 small ones at --jobs 2 (LibreOffice)"
soffice_bin=/usr/lib/libreoffice/program/soffice.bin
if [[ -x $soffice_bin ]]; then
  # A 10-page DOCX made by LibreOffice itself from the long corpus draft's text.
  mkdir -p "$tmp/office" "$tmp/small"
  pdftotext "$big" "$tmp/office/all.txt"
  head -c 30000 "$tmp/office/all.txt" > "$tmp/office/long.txt"
  lo() { "$soffice_bin" -env:UserInstallation=file://$tmp/lo-profile --headless --norestore \
           --nolockcheck --nodefault "$@" >/dev/null 2>&1; }
  lo --convert-to docx --outdir "$tmp/office" "$tmp/office/long.txt" || true
  lo --convert-to docx --outdir "$tmp/office" "$tmp/office/long.txt" || true  # after the first start
  docx=$tmp/office/long.docx
  if [[ -f $docx ]]; then
    floor=$(fastest_wall "$soffice_bin" -env:UserInstallation=file://$tmp/lo-profile --headless \
              --norestore --nolockcheck --nodefault --convert-to pdf --outdir "$tmp/out" "$docx")
    ours=$(fastest_wall "$redact" batch "$docx" -o "$tmp/out" --quiet --no-report \
             --release-flagged)
    printf "  redact: %.2f s wall; soffice --convert-to pdf: %.2f s wall\n" "$ours" "$floor"
    verdict "10-page DOCX end to end / soffice --convert-to pdf" "$(echo "$ours / $floor" | bc -l)" "<=" 1.3 x
    for i in $(seq -w 1 50); do cp "$tmp/office/long.docx" "$tmp/small/d$i.docx"; done
    head -c 1500 "$tmp/office/long.txt" > "$tmp/office/short.txt"
    lo --convert-to docx --outdir "$tmp/office" "$tmp/office/short.txt" || true
    for i in $(seq -w 1 50); do cp "$tmp/office/short.docx" "$tmp/small/d$i.docx"; done
    w50=$(fastest_wall "$redact" batch "$tmp/small" -o "$tmp/out" --jobs 2 --quiet --no-report \
            --release-flagged)
    start=$(fastest_wall "$soffice_bin" -env:UserInstallation=file://$tmp/lo-profile --headless \
              --norestore --nolockcheck --nodefault --convert-to pdf --outdir "$tmp/out" \
              "$tmp/office/short.docx")
    per_doc=$(echo "$w50 * 2 / 50" | bc -l)
    printf "  50 small DOCX at --jobs 2: %.1f s, %.2f s of a worker per document; one LibreOffice start and conversion: %.2f s\n" "$w50" "$per_doc" "$start"
    # Paid once per worker, a document would cost far less than a start of its own.
    verdict "small DOCX, worker seconds per document / one LibreOffice start" "$(echo "$per_doc / $start" | bc -l)" "<=" 0.5 x
  else
    echo "  could not make the DOCX with LibreOffice"; failed=1
  fi
else
  echo "  LibreOffice is not installed (libreoffice-writer-nogui)"; failed=1
fi

echo
echo "== Review application (redact review): page views and apply, on the corpus's 12 text drafts"
rm -rf "$tmp/rev"; "$redact" batch "$corpus/text" -o "$tmp/rev" -q --no-report >/dev/null 2>&1 || true
"$redact" review "$tmp/rev" --reviewer bench > "$tmp/rev.log" 2>&1 &
rev_pid=$!
for _ in $(seq 50); do grep -q 'token=' "$tmp/rev.log" && break; sleep 0.1; done
url=$(grep -o 'http://127[^ ]*' "$tmp/rev.log" || true)
if [[ -n $url ]]; then
  base=${url%%/\?token=*}; tok=${url##*token=}
  page_url="$base/api/page.png?doc=0&page=1&kind=draft&token=$tok"
  first=$(curl -s -o /dev/null -w '%{time_total}' "$page_url")
  cached=10
  for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' "$page_url"); cached=$(min "$cached" "$t")
  done
  printf "  a page view: %.0f ms the first time (rendered), %.1f ms after (cached)\n" \
    "$(echo "$first * 1000" | bc -l)" "$(echo "$cached * 1000" | bc -l)"
  verdict "a page view in the app, cached" "$(echo "$cached * 1000" | bc -l)" "<=" 100 ms
  # Apply for one document against that document's own batch run.
  doc=$(curl -s -H "X-Redact-Token: $tok" "$base/api/state" | $py -c 'import json,sys; print(json.load(sys.stdin)["documents"][0]["input"])')
  curl -s -o /dev/null -X POST -H "X-Redact-Token: $tok" -H 'Content-Type: application/json' \
    -d '{"type":"area","doc":0,"page":1,"area":[10,10,40,40],"exemption":"s.40(2)"}' "$base/api/decide"
  # The document's own batch run with the same decisions (what apply runs, and the reload of
  # the state after it, is what is measured against it).
  cp "$tmp/rev/audit/decisions.toml" "$tmp/rev-decisions.toml"
  alone=$(fastest_wall "$redact" batch "$corpus/text" -o "$tmp/rev-alone" -q --no-report \
            --only "$doc" --decisions "$tmp/rev-decisions.toml")
  apply=10
  for _ in 1 2 3 4 5; do
    curl -s -o /dev/null -X POST -H "X-Redact-Token: $tok" -H 'Content-Type: application/json' \
      -d '{"type":"area","doc":0,"page":1,"area":[10,10,40,40],"exemption":"s.40(2)"}' "$base/api/decide"
    t=$(curl -s -o /dev/null -w '%{time_total}' -X POST -H "X-Redact-Token: $tok" \
          -H 'Content-Type: application/json' -d '{}' "$base/api/apply")
    apply=$(min "$apply" "$t")
  done
  printf "  apply for one document: %.2f s; its batch run alone: %.2f s\n" "$apply" "$alone"
  verdict "apply for one document / its batch run" "$(echo "$apply / $alone" | bc -l)" "<=" 1.1 x
else
  echo "  redact review did not start: $(cat "$tmp/rev.log")"; failed=1
fi
kill "$rev_pid" 2>/dev/null || true; wait "$rev_pid" 2>/dev/null || true

echo
echo "== Width attack on the redaction boxes (bench/width_attack.py; categories of 20+ candidates)"
# The shared corpus's text drafts and their scans, released with the matched text in the audit
# (which gives the attack's ground truth), then attacked through what the releases show.
width_ok=1
for set in text scan; do
  rm -rf "$tmp/width-$set"
  "$redact" batch "$corpus/$set" -o "$tmp/width-$set" -q --no-report --release-flagged \
    --audit-text plain >/dev/null 2>&1 || true
  extra=(); [[ $set == scan ]] && extra=(--font-source "$corpus/text")
  if $py bench/width_attack.py "$corpus/$set" "$tmp/width-$set" "${extra[@]}" \
       --json "$tmp/width-$set.json" > "$tmp/width-$set.txt"; then
    echo "  $set drafts:"; sed 's/^/    /' "$tmp/width-$set.txt"
    $py - "$tmp/width-$set.json" "$set" <<'PY' || width_ok=0
import json, sys
r = json.load(open(sys.argv[1]))
bad = [c for c, v in r["categories"].items()
       if v["candidates"] >= 20 and (v["top1"] > 0 or v["top5"] > 0.05)]
print("    %s: top-1 0%% and top-5 <= 5%% in every category of 20+ candidates: %s"
      % (sys.argv[2], "PASS" if not bad else "FAIL (" + ", ".join(bad) + ")"))
# The median consistent set before boxes were redrawn (text drafts, boxes at the text's own
# width, 2026-12-01): it must grow 100-fold, or to the whole dictionary where that is
# smaller (no set can be larger than the candidates there are).
before = {"security bodies": 1, "products": 5, "hosts": 6, "names": 234, "e-mail": 83,
          "numbers": 301}
small = []
for c, v in r["categories"].items():
    if c not in before or v["candidates"] < 20:
        continue
    need = min(100 * before[c], v["candidates"])
    print("    %-16s median set %8.0f, %6.0fx before (%d), %s" % (
        c, v["median_set"], v["median_set"] / before[c], before[c],
        "the whole dictionary" if v["median_set"] >= v["candidates"] else
        "%.0f%% of the dictionary" % (100 * v["median_set"] / v["candidates"])))
    if v["median_set"] < need:
        small.append(c)
print("    %s: median set 100x before or the whole dictionary: %s"
      % (sys.argv[2], "PASS" if not small else "FAIL (" + ", ".join(small) + ")"))
sys.exit(1 if bad or small else 0)
PY
  else
    echo "  $set: the attack could not be run"; width_ok=0
  fi
done
[[ $width_ok == 1 ]] || failed=1

echo
if [[ $failed == 0 ]]; then echo "all targets PASS"; else echo "some targets FAIL"; fi
exit $failed
