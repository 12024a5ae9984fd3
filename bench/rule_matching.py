#!/usr/bin/python3
"""Python's re over the same rules and text as bench_rule_matching, for comparison.

Usage: bench/rule_matching.py RULES_DIR TEXT_FILE
Every enabled rule's pattern (case-insensitive unless case_sensitive = true) runs over every
page (pages split at form feeds, repeated to 10 MB as the C++ benchmark does). Prints MB/s.
Patterns Python's re cannot compile are skipped and counted.
"""
import pathlib
import re
import sys
import time
import tomllib

TARGET = 10 << 20


def load_patterns(rules_dir):
    patterns, skipped = [], 0
    for path in sorted(pathlib.Path(rules_dir).rglob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for rule in data.get("rule", []):
            if not rule.get("enabled", True):
                continue
            flags = 0 if rule.get("case_sensitive", False) else re.IGNORECASE
            try:
                patterns.append(re.compile(rule["pattern"], flags))
            except re.error:
                skipped += 1
    return patterns, skipped


def load_pages(text_file):
    one = [p for p in pathlib.Path(text_file).read_text(encoding="utf-8", errors="replace").split("\f") if p]
    pages, size = [], 0
    while size < TARGET and one:
        for p in one:
            pages.append(p)
            size += len(p.encode("utf-8"))
            if size >= TARGET:
                break
    return pages, size


def main():
    patterns, skipped = load_patterns(sys.argv[1])
    pages, size = load_pages(sys.argv[2])
    start = time.process_time()
    spans = 0
    for page in pages:
        for pattern in patterns:
            for _ in pattern.finditer(page):
                spans += 1
    secs = time.process_time() - start
    print(f"python-re {size / secs / 1e6:.1f} MB/s ({len(patterns)} patterns, {skipped} skipped, "
          f"{len(pages)} pages, {spans} spans, {secs:.2f} s)")


if __name__ == "__main__":
    main()
