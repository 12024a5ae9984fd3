#!/usr/bin/python3
"""Runs a command once and prints "CPU_S WALL_S MAXRSS_KB" on stdout (its own output dropped).

Usage: bench/cpu_wall.py CMD [ARGS...]   (exit code of CMD)
CPU is user plus system time of the command and every process it waited for, from wait4's
resource usage (microseconds, where GNU time prints hundredths: a ratio of two half-second
runs would otherwise move by 2% on rounding alone); wall from a monotonic clock.
"""
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    start = time.monotonic()
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    print(f"{usage.ru_utime + usage.ru_stime:.4f} {wall:.4f} {usage.ru_maxrss}")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
