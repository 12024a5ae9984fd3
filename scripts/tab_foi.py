#!/usr/bin/python3
"""Scores redact on ../shared/tab-train (92 court judgments, every identifier marked) with the
FOI reading its README gives: what a disclosure officer withholds under s.40(2), not everything
the benchmark marks.

Must go (recall, whole mentions): every PERSON mention marked DIRECT or QUASI, every CODE
mention marked DIRECT or QUASI, and every other DIRECT mention, except a person named in a
public role: the Government's Agent or an ambassador representing a government, a judge, a
member of parliament (the mention's own sentence says so just before it); and a number that
cites published law (an article, a bill, an act, a law report), which is tied to no person. A mention counts as
withheld only whole; one redacted in part is counted apart ("partly"), as a leak.
Precision: the share of redacted spans that overlap a mention marked DIRECT or QUASI, of any
type (a date or a place the benchmark marks is no false redaction).

Usage: /usr/bin/python3 scripts/tab_foi.py [build/redact] [--misses] [--shared DIR]
The batch is the shipped command with the shipped rules; the tab-train folder's score.py is
used for its reading of the data and its alignment of a release with its draft.
"""
import argparse
import collections
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Words just before a mention that name a public role held by the person mentioned.
PUBLIC_ROLE = re.compile(
    r"(?:\bAgents?|\bAmbassador|\bJudges?|\bjudge|\bPresident|\bmember of parliament|\bMP|"
    r"\bPrime Minister|\bMinister|\bmayor|\bMayor)\b[^.;\n]{0,30}$")


# ... or just after it ("F.E., also a member of parliament").
PUBLIC_ROLE_AFTER = re.compile(r"[ ,]*(?:also )?(?:an? |the )?(?:member of parliament|MP|mayor)\b")


# A CODE mention that cites published law (an article, a bill, an act, a law report), tied
# to no person.
PUBLIC_CITATION = re.compile(r"(?:\bArticles?|\bBills?|\bAct|\bLaw|\bRegulations?|§)[^.;\n]{0,30}$")
LAW_REPORT = re.compile(r"\d+ (?:WLR|AC|QB|KB|Ch|All ER|EHRR) \d+")


def public_citation(text, start, end):
    return bool(PUBLIC_CITATION.search(text[max(0, start - 40):start]) or
                LAW_REPORT.fullmatch(text[start:end]))


def public_role(text, start, end):
    return bool(PUBLIC_ROLE.search(text[max(0, start - 60):start]) or
                PUBLIC_ROLE_AFTER.match(text, end))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", default=os.path.join(HERE, "..", "build", "redact"))
    ap.add_argument("--shared", default=os.environ.get("REDACT_SHARED",
                                                      os.path.join(HERE, "..", "..", "shared")))
    ap.add_argument("--misses", action="store_true", help="print every mention missed or cut")
    args = ap.parse_args()
    tab = os.path.join(args.shared, "tab-train")
    if not os.path.exists(os.path.join(tab, "train.jsonl")):
        print("tab-train: %s is absent, skipped" % tab)
        return 0
    sys.path.insert(0, tab)
    import score  # the data reader and release alignment of the tab-train folder

    docs, _ = score.load_jsonl(os.path.join(tab, "train.jsonl"))
    work = tempfile.mkdtemp(prefix="tab-foi-")
    try:
        run, outdir = score.run_redact(os.path.abspath(args.binary), docs, 2, work)
        need = collections.Counter()
        whole = collections.Counter()
        partly = collections.Counter()
        kept_official = kept_citation = 0
        spans_total = spans_on_marked = 0
        misses = []
        for d in docs:
            text = d["text"]
            path = os.path.join(outdir, "release", d["doc_id"] + ".txt")
            spans = []
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    spans = score.align_release(text, fh.read()) or []
            mentions = d["annotators"]["annotator"]
            marked = [(m["start_offset"], m["end_offset"]) for m in mentions
                      if m["identifier_type"] in ("DIRECT", "QUASI")]
            for a, b in spans:
                spans_total += 1
                spans_on_marked += any(s < b and a < e for s, e in marked)
            for m in mentions:
                kind = m["entity_type"]
                if m["identifier_type"] == "NO_MASK":
                    continue
                if kind not in ("PERSON", "CODE") and m["identifier_type"] != "DIRECT":
                    continue
                s, e = m["start_offset"], m["end_offset"]
                if kind == "PERSON" and public_role(text, s, e):
                    kept_official += 1
                    continue
                if kind == "CODE" and public_citation(text, s, e):
                    kept_citation += 1
                    continue
                cls = kind if kind in ("PERSON", "CODE") else "other DIRECT"
                need[cls] += 1
                covered = sum(max(0, min(e, b) - max(s, a)) for a, b in spans)
                if covered >= e - s:
                    whole[cls] += 1
                    continue
                if covered:
                    partly[cls] += 1
                misses.append((cls, "partly" if covered else "missed", d["doc_id"],
                               m["span_text"], text[max(0, s - 50):e + 30].replace("\n", " ")))
        print("tab-train, FOI reading (%d documents, batch rc=%d)" % (len(docs), run["rc"]))
        for cls in ("PERSON", "CODE", "other DIRECT"):
            if need[cls]:
                print("  %-12s recall %.3f (%d of %d whole), partly %d" %
                      (cls, whole[cls] / need[cls], whole[cls], need[cls], partly[cls]))
        print("  kept as the FOI reading says: %d mentions of persons in a public role, %d "
              "citations of published law" % (kept_official, kept_citation))
        if spans_total:
            print("  precision %.3f (%d of %d redactions on marked text)" %
                  (spans_on_marked / spans_total, spans_on_marked, spans_total))
        if args.misses:
            for m in sorted(misses):
                print("  %s %s %s %r | %s" % m)
        return 0 if run["rc"] == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
