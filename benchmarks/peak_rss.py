"""Run `revoke ARGS...` in this process; at exit, write its peak RSS in KiB to the file
named by $PEAK_RSS_FILE.

A child's ru_maxrss (wait4, getrusage) starts from its parent's RSS at fork time on
Linux, so a big benchmark driver would inflate a small child; /proc/self/status VmHWM
counts this program's own memory since exec.
"""

from __future__ import annotations

import atexit
import os
import resource
import sys


def peak_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def report() -> None:
    with open(os.environ["PEAK_RSS_FILE"], "w", encoding="ascii") as out:
        out.write(str(peak_kib()))


if __name__ == "__main__":
    atexit.register(report)
    from revoke.cli.app import main

    main(sys.argv[1:])
