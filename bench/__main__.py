"""`python -m bench`: run every benchmark and record the numbers in bench/RESULTS.md."""

from __future__ import annotations

import sys

from bench import search_bench


def main(argv: list[str]) -> int:
    search_bench.main(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
