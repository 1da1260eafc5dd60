"""`python -m bench`: run every benchmark and record the numbers in bench/RESULTS.md.

`python -m bench web [...]`, `python -m bench search [...]`, `python -m bench soak [...]`,
`python -m bench archive [...]` or `python -m bench import [...]` (archive import rates)
runs just one of them (`python -m bench relevance [...]`: search ranking, issue 16;
`python -m bench distribution [...]`: delivery to subscribers, issue 17). `python -m bench
phone [...]` (LCP, CLS and bytes on a throttled phone) and `python -m bench live [...]` (a
live story's readers, SSE and polling) are issue 20's and run only when asked.
"""

from __future__ import annotations

import sys

from bench import (
    archive,
    distribution_bench,
    import_rate,
    relevance_bench,
    search_bench,
    soak,
    web,
)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "web":
        return web.main(argv[1:])
    if argv and argv[0] == "search":
        search_bench.main(argv[1:])
        return 0
    if argv and argv[0] == "archive":
        return archive.main(argv[1:])
    if argv and argv[0] == "import":
        return import_rate.run_all(argv[1:])
    if argv and argv[0] == "relevance":
        return relevance_bench.main(argv[1:])
    if argv and argv[0] == "soak":
        return soak.main(argv[1:])
    if argv and argv[0] == "distribution":
        return distribution_bench.main(argv[1:])
    if argv and argv[0] == "phone":
        from bench import phone

        return phone.main(argv[1:])
    if argv and argv[0] == "live":
        from bench import live_fanout

        return live_fanout.main(argv[1:])
    search_bench.main(argv)
    relevance_bench.main([])
    web_status = web.main([])
    archive_status = archive.main([])
    import_status = import_rate.run_all([])
    distribution_status = distribution_bench.main([])
    soak_status = soak.main([])
    several_hosts_status = soak.main(["--multinode"])
    return (
        soak_status
        or several_hosts_status
        or web_status
        or archive_status
        or import_status
        or distribution_status
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
