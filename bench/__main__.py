"""`python -m bench`: run every benchmark and record the numbers in bench/RESULTS.md.

`python -m bench web [...]` or `python -m bench search [...]` runs just one of them.
"""

from __future__ import annotations

import sys

from bench import search_bench, web


def main(argv: list[str]) -> int:
    if argv and argv[0] == "web":
        return web.main(argv[1:])
    if argv and argv[0] == "search":
        search_bench.main(argv[1:])
        return 0
    search_bench.main(argv)
    return web.main([])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
