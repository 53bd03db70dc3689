"""Run one command, time it and measure its memory; the result goes to a JSON file.

Every output line of the command is prefixed with the seconds since its start. Run as its own process (``python -m benchmarks.rss_probe OUT.json -- cmd ...``) so that
``getrusage(RUSAGE_CHILDREN)`` sees only this command and its descendants (swh and the dbt
subprocess), not the benchmark's earlier children. ``ru_maxrss`` is the peak of the largest single
process; the summed RSS of the whole process tree is sampled from /proc as well (psutil is not
installed).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_S = 0.2


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_rss_bytes(root: int) -> int:
    kids, total, todo = _children_map(), 0, [root]
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total


def main(argv: list[str]) -> int:
    out, cmd = Path(argv[0]), argv[argv.index("--") + 1:]
    peak = [0]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_S):
            peak[0] = max(peak[0], tree_rss_bytes(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in proc.stdout:  # every output line with the seconds since start: startup and tail costs
        sys.stdout.write(f"{time.monotonic() - t0:8.2f} | {line}")
    returncode = proc.wait()
    seconds = time.monotonic() - t0
    done.set()
    sampler.join()
    maxrss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    out.write_text(json.dumps({"returncode": returncode, "seconds": seconds,
                               "ru_maxrss_mb": maxrss_kb / 1024, "tree_peak_rss_mb": peak[0] / 2**20}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
