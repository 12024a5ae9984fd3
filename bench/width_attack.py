#!/usr/bin/python3
"""The width attack on redaction boxes, after Bland, Iyer and Levchenko, "Story Beyond the Eye:
Glyph Positions Break PDF Text Redaction" (PoPETs 2023), run against our own releases.

For every redaction box of a release the attacker reads what the release shows: the box's
width in the pixels (to a pixel) and the gap between the kept words either side of it in the
text layer (exact). They typeset every candidate of the box's kind (security bodies,
products, hosts, names, e-mail addresses, numbers) in the draft's font and size, which the
page itself shows, and keep the candidates consistent with what they read. Knowing the
release scheme (Kerckhoffs): if the boxes all measure whole units, the candidates kept are
those whose quantised width is the box's; otherwise those whose own width, padding included,
is the box's and whose width plus the spaces is the gap.

Printed per category: boxes, candidates, the median consistent set, top-1 (the set is the
true text alone: it is singled out) and top-5 (the true text is in a set of five or fewer),
and how often the true text is in its set at all (a check on the measurement: near 100%).

Usage: /usr/bin/python3 bench/width_attack.py CORPUS_DIR OUT_DIR [--rules DIR]
  CORPUS_DIR: the drafts (make_corpus.py output); OUT_DIR: a `redact batch` run over them with
  --audit-text plain (the audit gives the true text of each box). Needs python3-fitz.
"""
import argparse
import json
import os
import random
import re
import statistics
import sys
import tomllib

import fitz  # PyMuPDF, Debian's python3-fitz

DPI = 300  # the attacker renders the release finer than it was made: a pixel is the limit
UNIT = 72 / 2.54  # the release scheme's unit, to recognise it
PAD = 1.0  # points the boxes are padded by around their characters
BOX_TOL = 72 / 200 * 1.5 + 72 / DPI  # a pixel of the release (200 DPI) either end, and ours
GAP_TOL = 0.05  # the text layer is exact to 0.013 pt

CATEGORY = [
    ("security bodies", re.compile(r"^security-body\.")),
    ("products", re.compile(r"^crypto\.product")),
    ("hosts", re.compile(r"^network\.(internal-host|host)")),
    ("names", re.compile(r"^person\.(titled-name|name)")),
    ("e-mail", re.compile(r"^person\.email")),
    ("numbers", re.compile(r"^(person\.(phone|nino|collar)|network\.ipv)")),
]


def category_of(rule):
    for name, pattern in CATEGORY:
        if pattern.search(rule):
            return name
    return None


def fixed_widths(rules_dir):
    """Rule id -> the one width (points) its boxes are drawn at (box_width_cm in the packs):
    public, so the attacker knows it too."""
    out = {}
    for root, _, files in os.walk(rules_dir):
        for name in files:
            if name.endswith(".toml"):
                with open(os.path.join(root, name), "rb") as f:
                    for rule in tomllib.load(f).get("rule", []):
                        if rule.get("box_width_cm"):
                            out[rule["id"]] = rule["box_width_cm"] * 72 / 2.54
    return out


def read_list(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def same_shape(text, rng, n):
    """n strings of text's shape: each digit a random digit, each letter a random letter."""
    out = set()
    for _ in range(n):
        s = []
        for ch in text:
            if ch.isdigit():
                s.append(rng.choice("0123456789"))
            elif ch.isalpha():
                s.append(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ" if ch.isupper()
                                    else "abcdefghijklmnopqrstuvwxyz"))
            else:
                s.append(ch)
        out.add("".join(s))
    return out


def dictionaries(truths, rules_dir, rng):
    """The attacker's candidates per category: public lists, and what the documents show of
    the shape of each kind (the true texts are among them: the attacker's best case)."""
    lists = os.path.join(rules_dir, "uk-foi", "lists")
    d = {name: set(texts) for name, texts in truths.items()}
    d.setdefault("security bodies", set())
    for t in list(d["security bodies"]):
        d["security bodies"].add(t[4:] if t.lower().startswith("the ") else "the " + t)
    d.setdefault("products", set()).update(read_list(os.path.join(lists, "security-products.txt")))
    fore = [w.capitalize() for w in read_list(os.path.join(lists, "forenames.txt"))]
    sur = [w.capitalize() for w in read_list(os.path.join(lists, "surnames.txt"))]
    titles = ["Mr", "Mrs", "Ms", "Miss", "Dr", "DC", "DS", "PC", "Insp.", "Insp", "Sgt",
              "Supt", "Ch Insp", "Det Supt", "Prof"]
    names = d.setdefault("names", set())
    for t in list(names):
        names.add(t)
    for _ in range(20000):
        names.add(rng.choice(titles) + " " + rng.choice(fore) + " " + rng.choice(sur))
    mails = d.setdefault("e-mail", set())
    domains = {m.split("@", 1)[1] for m in mails if "@" in m}
    for _ in range(10000 if domains else 0):
        f, s = rng.choice(fore).lower(), rng.choice(sur).lower()
        mails.add(rng.choice([f + "." + s, f[0] + "." + s, s]) + "@" + rng.choice(sorted(domains)))
    hosts = d.setdefault("hosts", set())
    parts = sorted({p for h in hosts for p in re.split(r"[.-]", h) if p})
    for h in list(hosts):
        for _ in range(300):
            hosts.add(re.sub(r"[a-z0-9]+", lambda m: rng.choice(parts), h))
    numbers = d.setdefault("numbers", set())
    for t in list(numbers):
        numbers.update(same_shape(t, rng, 300))
    return d


def quantised(w):
    import math
    return max(1, math.ceil(w / UNIT - 1e-9)) * UNIT


def black_runs(pix, y_pt):
    """The boxes crossing the pixel row at height y_pt (points, in the boxes' padding, above
    their labels): black runs at least 6 pt long (a glyph's stroke is shorter), a gap of a
    point or less inside one (a label's letter reaching the row) closed. (x0, x1) in points."""
    s = DPI / 72
    y = min(pix.height - 1, max(0, int(y_pt * s)))
    row = pix.samples[y * pix.stride:y * pix.stride + pix.width]
    runs, start = [], None
    for x in range(pix.width + 1):
        v = x < pix.width and row[x] < 60
        if v and start is None:
            start = x
        elif not v and start is not None:
            if runs and start / s - runs[-1][1] <= 1.0:
                runs[-1] = (runs[-1][0], x / s)
            else:
                runs.append((start / s, x / s))
            start = None
    return [r for r in runs if r[1] - r[0] >= 6]


def neighbours(words, x0, x1, y0, y1):
    """The kept words either side of [x0, x1] on the line [y0, y1]: (left end, right start)."""
    left, right = None, None
    for w in words:
        cy = (w[1] + w[3]) / 2
        if cy < y0 or cy > y1:
            continue
        if w[2] <= x0 + 0.5 and (left is None or w[2] > left):
            left = w[2]
        if w[0] >= x1 - 0.5 and (right is None or w[0] < right):
            right = w[0]
    return left, right


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--rules", default=os.path.join(os.path.dirname(__file__), "..", "rules"))
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--font-source", help="for scanned drafts (no text layer): a folder of the "
                    "same documents as text PDFs, whose type size the attacker is given (their "
                    "best case: read off the scan, it would be less exact)")
    args = ap.parse_args()
    rng = random.Random(7)
    records = []
    with open(os.path.join(args.out, "audit", "audit.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("event") == "document" and r.get("status") == "released":
                records.append(r)
    # Each box piece: its category, its true text, what the draft and the release show.
    boxes, truths = [], {}
    skipped = 0
    fixed = fixed_widths(args.rules)
    for r in records:
        draft_path = os.path.join(args.corpus, r["input"])
        release = [o["path"] for o in r.get("outputs", []) if o["path"].endswith(".pdf")]
        if not release or not draft_path.endswith(".pdf"):
            continue
        draft = fitz.open(draft_path)
        rel = fitz.open(os.path.join(args.out, release[0]))
        source = None
        if args.font_source:
            src_path = os.path.join(args.font_source, r["input"])
            source = fitz.open(src_path) if os.path.exists(src_path) else None
        by_page = {}
        for fnd in r.get("findings", []):
            if fnd.get("action") != "redact" or fnd.get("decision") == "keep":
                continue
            cat = category_of(fnd["rule"])  # None: boxed, but of no kind measured here
            for b in fnd["boxes"]:
                by_page.setdefault(fnd["page"], []).append((b, cat, fnd))
        for page_no, items in by_page.items():
            dpage, rpage = draft[page_no - 1], rel[page_no - 1]
            pix = rpage.get_pixmap(dpi=DPI, colorspace=fitz.csGRAY)
            rwords = rpage.get_text("words")
            dwords = dpage.get_text("words")
            spans = [s for blk in dpage.get_text("rawdict")["blocks"] for ln in blk.get("lines", [])
                     for s in ln["spans"]]
            # A scan: no characters to read; the text is the finding's, the size the source's.
            scanned = not spans
            scan_size = None
            if scanned and source is not None and page_no <= len(source):
                sizes = [round(sp["size"], 1) for blk in source[page_no - 1].get_text("dict")["blocks"]
                         for ln in blk.get("lines", []) for sp in ln["spans"]]
                scan_size = max(set(sizes), key=sizes.count) if sizes else None
            # Boxes of a line in order, draft and release alike.
            lines = []  # boxes sharing a band (more than half the smaller's height)
            for b, cat, fnd in sorted(items, key=lambda t: t[0][1] + t[0][3]):
                last = lines[-1][0][0] if lines else None
                if last and min(last[3], b[3]) - max(last[1], b[1]) > 0.5 * min(
                        last[3] - last[1], b[3] - b[1]):
                    lines[-1].append((b, cat, fnd))
                else:
                    lines.append([(b, cat, fnd)])
            for line in lines:
                line.sort(key=lambda t: t[0][0])
                # Boxes that touch are one box in the release (and one to the attacker).
                merged = []
                for b, cat, fnd in line:
                    if merged and b[0] <= merged[-1][0][2] + 0.5:
                        pb, pcat, pf = merged[-1]
                        merged[-1] = ([pb[0], min(pb[1], b[1]), max(pb[2], b[2]), max(pb[3], b[3])],
                                      pcat if pcat == cat else None, pf)
                    else:
                        merged.append((list(b), cat, fnd))
                line = merged
                runs = black_runs(pix, max(b[1] for b, _, _ in line) + 0.5)
                # The release's boxes of this line, in order (the row also crosses boxes of
                # other findings on the line: all of them are in `line`).
                if len(runs) != len(line):
                    skipped += 1
                    continue  # a box the row did not cross cleanly: not measured
                for (b, cat, fnd), run in zip(line, runs):
                    if cat is None:
                        continue
                    # The box's own characters: those whose centre it holds.
                    text, size = "", None
                    for sp in spans:
                        for ch in sp["chars"]:
                            cx = (ch["bbox"][0] + ch["bbox"][2]) / 2
                            cy = (ch["bbox"][1] + ch["bbox"][3]) / 2
                            if b[0] < cx < b[2] and b[1] < cy < b[3]:
                                text += ch["c"]
                                size = sp["size"]
                    text = text.strip()
                    if scanned and len(fnd["boxes"]) == 1 and fnd.get("text"):
                        text, size = fnd["text"], scan_size
                    if not text or size is None:
                        continue
                    w_true = fitz.get_text_length(text, fontname="helv", fontsize=size)
                    dl, dr = neighbours(dwords, b[0], b[2], b[1], b[3])
                    rl, rr = neighbours(rwords, run[0], run[1], b[1], b[3])
                    spaces = dr - dl - w_true if dl is not None and dr is not None else None
                    gap = rr - rl if rl is not None and rr is not None else None
                    boxes.append({"cat": cat, "text": text, "size": size, "box": run[1] - run[0],
                                  "fixed": fixed.get(fnd["rule"]),
                                  "spaces": spaces, "gap": gap, "w_true": w_true})
                    truths.setdefault(cat, set()).add(text)
    if not boxes:
        print("no boxes measured", file=sys.stderr)
        return 1
    d = dictionaries(truths, args.rules, rng)
    whole = [abs(b["box"] / UNIT - round(b["box"] / UNIT)) * UNIT <= BOX_TOL or
             (b["fixed"] and abs(b["fixed"] - b["box"]) <= BOX_TOL) for b in boxes]
    quant = sum(whole)
    if os.environ.get("WIDTH_ATTACK_DEBUG"):
        for b, ok in zip(boxes, whole):
            if not ok:
                print("not whole:", b, file=sys.stderr)
    scheme = "quantised" if quant >= 0.95 * len(boxes) else "exact"
    widths = {}
    results = {}
    for cat in sorted({b["cat"] for b in boxes}):
        cands = sorted(d[cat])
        sets, top1, top5, hit = [], 0, 0, 0
        for b in (x for x in boxes if x["cat"] == cat):
            key = b["size"]
            if (cat, key) not in widths:
                widths[(cat, key)] = [fitz.get_text_length(c, fontname="helv", fontsize=key)
                                      for c in cands]
            consistent = []
            for c, w in zip(cands, widths[(cat, key)]):
                if b["fixed"] and abs(b["fixed"] - b["box"]) <= BOX_TOL:
                    ok = True  # every box of its rule has this width: width says nothing
                elif scheme == "quantised":
                    ok = abs(quantised(w + 2 * PAD) - b["box"]) <= BOX_TOL
                else:
                    ok = abs(w + 2 * PAD - b["box"]) <= BOX_TOL
                    if ok and b["gap"] is not None and b["spaces"] is not None:
                        ok = abs(b["spaces"] + w - b["gap"]) <= GAP_TOL
                if ok:
                    consistent.append(c)
            truth_in = b["text"] in consistent
            sets.append(len(consistent))
            hit += truth_in
            top1 += truth_in and len(consistent) == 1
            top5 += truth_in and len(consistent) <= 5
        n = len(sets)
        results[cat] = {"boxes": n, "candidates": len(cands),
                        "median_set": statistics.median(sets),
                        "top1": top1 / n, "top5": top5 / n, "truth_in_set": hit / n}
    print(f"{len(boxes)} boxes measured ({skipped} lines skipped: their boxes did not separate)")
    print(f"release scheme read from the boxes: {scheme} ({quant} of {len(boxes)} boxes measure "
          "whole centimetres or their rule's one width)")
    print(f"{'category':<16} {'boxes':>5} {'candidates':>10} {'median set':>10} {'top-1':>6} "
          f"{'top-5':>6} {'truth in set':>12}")
    for cat, r in results.items():
        print(f"{cat:<16} {r['boxes']:>5} {r['candidates']:>10} {r['median_set']:>10.1f} "
              f"{r['top1'] * 100:>5.0f}% {r['top5'] * 100:>5.0f}% {r['truth_in_set'] * 100:>11.0f}%")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"scheme": scheme, "categories": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
