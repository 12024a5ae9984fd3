#!/usr/bin/env bash
# Every e-mail of ../shared/realdocs/email through `redact batch`: how many messages were
# released or quarantined (and why), how many attachments came out of them, and whether any
# release holds an encoded body. A few minutes (about 100 documents through LibreOffice), so not
# part of ctest; prints the figures the #16 closing note quotes.
# Usage: scripts/email_sweep.sh [OUT]   (OUT defaults to build/email-sweep)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${REDACT_SHARED:-../shared}
out=${1:-build/email-sweep}
rm -rf "$out"
start=$(date +%s)
build/redact batch "$shared/realdocs/email" -o "$out" --release-flagged -q || true
end=$(date +%s)
/usr/bin/python3 - "$out" "$((end - start))" <<'PY'
import json, os, re, sys
out, secs = sys.argv[1], sys.argv[2]
docs = [json.loads(l) for l in open(os.path.join(out, "audit", "audit.jsonl"))]
docs = [d for d in docs if d.get("event") == "document"]
messages = [d for d in docs if "parent" not in d]
attached = [d for d in docs if "parent" in d]
def count(ds, s): return sum(1 for d in ds if d["status"] == s)
print(f"messages: {len(messages)} ({count(messages, 'released')} released, "
      f"{count(messages, 'quarantined')} quarantined) in {secs} s")
print(f"attachments: {len(attached)} ({count(attached, 'released')} released, "
      f"{count(attached, 'quarantined')} quarantined)")
for d in docs:
    if d["status"] != "released":
        print(f"  {d['input']}: {d.get('stage')}: {d.get('error')}")
body = re.compile(r"(^|\n)([A-Za-z0-9+/]{60,}={0,2}\r?\n){3,}")
bad = []
for root, _, files in os.walk(os.path.join(out, "release")):
    for f in files:
        if f.endswith(".txt") and body.search(open(os.path.join(root, f), errors="replace").read()):
            bad.append(os.path.join(root, f))
print(f"releases holding an encoded body: {len(bad)}")
for b in bad: print("  " + b)
PY
