#!/usr/bin/python3
"""Runs a command and prints the peak of the summed memory (MB) of it and all its descendants.

Usage: bench/peak_rss.py CMD [ARGS...]   (prints "peak_rss_mb N" on stderr; exit code of CMD)
/usr/bin/time reports the largest single process; a batch is a parent and its workers, so
this samples /proc every 10 ms and sums the whole tree. Each process counts its proportional
set size (Pss in /proc/PID/smaps_rollup: a page shared by n processes counts 1/n in each),
which is what the tree holds: the document workers are forked from one zygote and share its
rules and OCR model, which a sum of RSS would count once per worker. VmRSS where Pss cannot be
read.
"""
import os
import subprocess
import sys
import time


def tree_rss_kb(root):
    children = {}
    rss = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            rss[int(pid)] = int(line.split()[1])
                            break
            except OSError:
                pass
            if int(pid) not in rss:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss[int(pid)] = int(line.split()[1])
                            break
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def main():
    proc = subprocess.Popen(sys.argv[1:])
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.01)
    print(f"peak_rss_mb {peak / 1024:.1f}", file=sys.stderr)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
