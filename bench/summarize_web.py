#!/usr/bin/env python3
"""Turn a web benchmark's results.tsv into the Markdown of bench/RESULTS.md's Web section.

    python3 bench/summarize_web.py RESULTS_DIR

RESULTS_DIR holds what ``python -m bench web`` (bench/web.py) and the peers' lib/bench.sh
wrote: results.tsv (one line per wrk run), machine.txt, idle.tsv and rss.tsv. Every ratio is
taken between two rows measured in the SAME round, then the median over rounds is shown:
absolute rates on a shared machine drift by a third between runs, ratios much less.
Standard library only.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

# Rows as (peer, endpoint) — the labels bench/web.py gives wrk runs; the peers' own labels
# come from ../shared/peers/*/bench.sh.
ISSO_GET = ("isso", "GET /?uri=%2Fnews%2F1")
ISSO_POST = ("isso", "POST /new?uri=%2Fnews%2F1")
WAGTAIL = ("wagtail", "GET /news/500/")
NGINX = ("nginx", "GET /news/500/ (static)")
STORY_WARM = ("khabar", "GET story, warm page cache")
STORY_FRESH = ("khabar", "GET story, fresh render")
STORY_PROXY = ("khabar-prod", "GET story through nginx")
THREAD_WHOLE = ("khabar", "GET thread API, all 200")
THREAD_PAGE = ("khabar", "GET thread API, first page")
POST = ("khabar", "POST comment API")
BIG_FRESH = ("khabar", "GET 5,000-comment story, fresh render")


@dataclass(frozen=True)
class Comparison:
    row: tuple[str, str]
    ref: tuple[str, str]
    what: str
    target: float | None  # the target for row ÷ ref; None: shown, not judged


COMPARISONS = [
    Comparison(STORY_WARM, WAGTAIL, "story, warm cache ÷ Wagtail", 20),
    Comparison(STORY_FRESH, WAGTAIL, "story, fresh render ÷ Wagtail", 8),  # issue 19 (4 in issue 6)
    Comparison(STORY_PROXY, NGINX, "story through nginx ÷ nginx static", 0.6),
    Comparison(THREAD_WHOLE, ISSO_GET, "thread API, all 200 ÷ Isso GET", 30),
    Comparison(THREAD_PAGE, ISSO_GET, "thread API, first page ÷ Isso GET", None),
    Comparison(POST, ISSO_POST, "POST comment ÷ Isso POST", 1.5),
    # "renders as fast as with 200": allow the noise of one shared machine (10 %).
    Comparison(BIG_FRESH, STORY_FRESH, "5,000-comment story ÷ 200-comment story", 0.9),
]

RSS_LIMIT_MB = 150


def fmt(x: float, digits: int = 3) -> str:
    """Round to ``digits`` significant figures, with thousands separators for big numbers."""
    if x == 0:
        return "0"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    mag = len(str(int(abs(x)))) if abs(x) >= 1 else 0
    return f"{x:.{max(digits - mag, 0)}f}"


def read_rows(tsv: Path) -> OrderedDict[tuple[str, str], list[dict[str, str]]]:
    with tsv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    groups: OrderedDict[tuple[str, str], list[dict[str, str]]] = OrderedDict()
    for r in rows:
        groups.setdefault((r["peer"], r["endpoint"]), []).append(r)
    return groups


def ratio(groups: dict, row: tuple[str, str], ref: tuple[str, str]) -> list[float]:
    """row ÷ ref req/s, one value per round in which both were measured."""
    ref_rps = {r["round"]: float(r["rps"]) for r in groups.get(ref, [])}
    return [
        float(r["rps"]) / ref_rps[r["round"]]
        for r in groups.get(row, [])
        if ref_rps.get(r["round"], 0) > 0
    ]


def rates_table(groups: dict) -> list[str]:
    rounds = len({r["round"] for rs in groups.values() for r in rs})
    head = ["peer", "endpoint", "req/s", "p50 ms", "p99 ms", "errors"]
    if rounds > 1:
        head.append("req/s by round")
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for (peer, endpoint), rs in groups.items():
        rps = [float(r["rps"]) for r in rs]
        cells = [
            peer,
            f"`{endpoint}`",
            fmt(statistics.median(rps)),
            fmt(statistics.median(float(r["p50_ms"]) for r in rs)),
            fmt(statistics.median(float(r["p99_ms"]) for r in rs)),
            str(sum(int(r["bad_status"]) + int(r["socket_errors"]) for r in rs)),
        ]
        if rounds > 1:
            cells.append(" / ".join(fmt(x) for x in rps))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def ratios_table(groups: dict) -> list[str]:
    lines = [
        "| ratio (same round, median) | by round | target | met |",
        "|---|---|---:|---|",
    ]
    for c in COMPARISONS:
        values = ratio(groups, c.row, c.ref)
        if not values:
            lines.append(f"| {c.what} | not measured | {_target(c)} | – |")
            continue
        median = statistics.median(values)
        met = "–" if c.target is None else ("yes" if median >= c.target else "**no**")
        by_round = " / ".join(_times(v) for v in values)
        lines.append(f"| {c.what} | {_times(median)} ({by_round}) | {_target(c)} | {met} |")
    return lines


def _times(x: float) -> str:
    return f"{fmt(x)}×"


def _target(c: Comparison) -> str:
    return "–" if c.target is None else f"≥ {fmt(c.target)}×"


def rss_table(path: Path) -> list[str]:
    """rss.tsv: process, pid, rss_kb (read from /proc after the last round)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        return []
    lines = ["| app process | pid | RSS after the run | under 150 MB |", "|---|---:|---:|---|"]
    for r in rows:
        mb = int(r["rss_kb"]) / 1024
        ok = "yes" if mb < RSS_LIMIT_MB else "**no**"
        lines.append(f"| {r['process']} | {r['pid']} | {mb:.0f} MB | {ok} |")
    return lines


def section(results_dir: Path) -> str:
    """The Markdown of the Web section (without its heading)."""
    groups = read_rows(results_dir / "results.tsv")
    out: list[str] = []
    machine = results_dir / "machine.txt"
    if machine.exists():
        out += ["```", machine.read_text(encoding="utf-8").rstrip(), "```", ""]
    out += [*ratios_table(groups), "", *rates_table(groups), ""]
    rss = rss_table(results_dir / "rss.tsv")
    if rss:
        out += [*rss, ""]
    idle_file = results_dir / "idle.tsv"
    if idle_file.exists():
        idle = [
            line.split("\t")[1].strip() + " %"
            for line in idle_file.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        out.append(
            "CPU idle just before each round, our servers idle (100 % = nothing else running): "
            + ", ".join(idle)
            + "."
        )
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    print(section(Path(argv[0])), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
