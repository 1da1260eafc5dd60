"""Run mypy over the whole package and hold its errors to a baseline that only shrinks.

``scripts/mypy_baseline.json`` keeps the number of errors per file. The check fails when a
file has more errors than its count (or a file not listed has any), and says so when a file
has fewer: run with ``--update`` then to lower the counts (``--update`` never raises one).

    .venv/bin/python scripts/mypy_baseline.py            # what `make lint` runs
    .venv/bin/python scripts/mypy_baseline.py --update   # after fixing errors
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).resolve().with_suffix(".json")
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")


def current() -> Counter[str]:
    """Errors per file from mypy, run as configured in pyproject.toml."""
    mypy = Path(sys.executable).with_name("mypy")
    run = subprocess.run(
        [str(mypy), "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed
        sys.exit(run.stdout + run.stderr)
    return Counter(m["path"] for line in run.stdout.splitlines() if (m := ERROR.match(line)))


def main(argv: list[str]) -> int:
    baseline: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    found = current()
    grown = {path: n for path, n in found.items() if n > baseline.get(path, 0)}
    shrunk = {path: n for path, n in baseline.items() if found.get(path, 0) < n}
    if "--update" in argv:
        if grown and BASELINE.exists():
            print("mypy: refusing to raise the baseline; fix these first:", file=sys.stderr)
        else:  # lower it, or write the first one
            grown = {}
            kept = {path: found[path] for path in sorted(found)}
            BASELINE.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")
            print(f"mypy baseline: {sum(kept.values())} errors in {len(kept)} files")
    for path, n in sorted(grown.items()):
        print(f"{path}: {n} mypy errors, the baseline allows {baseline.get(path, 0)}")
    if grown:
        print("mypy: new errors (run .venv/bin/mypy to see them)", file=sys.stderr)
        return 1
    if shrunk and "--update" not in argv:
        print(
            f"mypy: {len(shrunk)} files have fewer errors than the baseline; lower it with "
            "scripts/mypy_baseline.py --update"
        )
    print(f"mypy: {sum(found.values())} errors, none beyond the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
