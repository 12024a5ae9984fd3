#!/usr/bin/env bash
# Prints how well detection does, set by set: recall (the share of strings that must go that
# went) and keep (the share of strings that must stay that stayed), with every miss, as
# ../shared/corpus/score.py judges a release (text layer, decompressed bytes, metadata; OCR
# of the pixels with --ocr).
#
# Usage: scripts/accuracy.sh [--ocr]
#   Sets: the shared corpus (built with ../shared/corpus/make_corpus.py into
#   build/accuracy-corpus; its DOCX drafts with --office into build/accuracy-corpus-office,
#   scored on their own stems), the real documents of ../shared/realdocs/truth.json (a public
#   body's evaluation set, letters, CVs, released responses: documents the rules were not
#   written against), and our own drafts (tests/data/drafts/, a class of content each).
#   $REDACT_SHARED points at ../shared elsewhere. Needs Debian's /usr/bin/python3 with
#   python3-fitz, poppler-utils, qpdf, imagemagick and tesseract-ocr, as score.py does.
set -euo pipefail
cd "$(dirname "$0")/.."
redact=build/redact
[[ -x $redact ]] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
shared=${REDACT_SHARED:-../shared}
py=/usr/bin/python3
ocr=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# score NAME TRUTH INPUT...: one batch over the inputs, then score.py's summary and misses.
score() {
  local name=$1 truth=$2
  shift 2
  echo "== $name"
  rm -rf "$tmp/out"
  "$redact" batch "$@" -o "$tmp/out" --quiet --no-report >/dev/null 2>&1 || true
  # Documents waiting for a decision are scored as they would be released.
  if [[ -d $tmp/out/review ]]; then cp -rn "$tmp/out/review/." "$tmp/out/release/" 2>/dev/null || true; fi
  $py "$shared/corpus/score.py" "$truth" "$tmp/out/release" $ocr | grep -v ": ok " || true
  echo
}

if [[ -f $shared/corpus/make_corpus.py ]]; then
  corpus=build/accuracy-corpus
  [[ -f $corpus/truth.json ]] || $py "$shared/corpus/make_corpus.py" "$corpus" >/dev/null
  score "shared corpus (text PDFs)" "$corpus/truth.json" "$corpus/text"
  # The same drafts as a word processor saves them (DOCX), through LibreOffice.
  office=build/accuracy-corpus-office
  [[ -f $office/truth.json ]] || $py "$shared/corpus/make_corpus.py" "$office" 8 --office >/dev/null
  # Scored on the DOCX drafts' own stems (the truth file lists the text PDFs too).
  $py -c "import json,sys; t=json.load(open(sys.argv[1])); json.dump({k: v for k, v in t.items() if k.endswith('-office')}, open(sys.argv[2], 'w'))" \
    "$office/truth.json" "$tmp/office-truth.json"
  score "shared corpus (DOCX drafts)" "$tmp/office-truth.json" "$office"/office/*.docx
else
  echo "== shared corpus: $shared/corpus is absent, skipped"
fi

if [[ -f $shared/realdocs/truth.json ]]; then
  mkdir -p "$tmp/real"
  for stem in $($py -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))))" "$shared/realdocs/truth.json"); do
    f=$(find "$shared/realdocs" -name "$stem.*" ! -name "*.json" ! -name "*.csv" | head -1)
    [[ -n $f ]] && cp "$f" "$tmp/real/"
  done
  score "real documents (../shared/realdocs/truth.json)" "$shared/realdocs/truth.json" "$tmp/real"
else
  echo "== real documents: $shared/realdocs is absent, skipped"
fi

score "our drafts (tests/data/drafts/)" tests/data/drafts/truth.json tests/data/drafts/*.txt

# Court judgments nobody here wrote, every identifier marked (../shared/tab-train), scored with
# the FOI reading of its README: persons and identifying numbers whole, officials in their role
# and citations of published law kept.
echo "== tab-train (../shared/tab-train), FOI reading"
REDACT_SHARED=$shared $py scripts/tab_foi.py "$redact" || true
