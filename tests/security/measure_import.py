"""Check one panel file in a process of its own and report the time and peak memory it took.

Run as `python -m tests.security.measure_import PATH FILENAME`; prints one JSON object.
The address space is capped, so a reader that pads or unpacks without bound fails here
with a MemoryError instead of taking the machine's memory.
"""

import json
import resource
import sys
import time
from pathlib import Path

ADDRESS_SPACE_LIMIT = 3 * 1024**3


def peak_rss_kb() -> int:
    """Return the process's peak resident memory so far (VmHWM), in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("VmHWM not found")


def main(path: str, filename: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    import django

    django.setup()
    from panel.imports import check_panel_file

    # Warm up: every module the check imports lazily is loaded before the baseline.
    check_panel_file(b"external_id,email\nP1,p1@example.org\n", filename="warm.csv")
    check_panel_file(Path(path).read_bytes()[:0], filename="warm.xlsx")
    content = Path(path).read_bytes()
    before = peak_rss_kb()
    started = time.perf_counter()
    try:
        report = check_panel_file(content, filename=filename)
        outcome = {"problems": [p.message for p in report.problems], "rows": len(report.rows)}
    except MemoryError:
        outcome = {"error": "MemoryError"}
    seconds = time.perf_counter() - started
    outcome.update(
        seconds=round(seconds, 3),
        peak_increase_mb=round((peak_rss_kb() - before) / 1024, 1),
        baseline_mb=round(before / 1024, 1),
        file_kb=round(len(content) / 1024, 1),
    )
    sys.stdout.write(json.dumps(outcome) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
