"""Page weight and speed on a phone (issue 20): LCP, CLS and bytes in throttled Chromium.

    python -m bench.phone [--runs 5] [--no-wagtail] [--prod]

Seeds khabar in a temporary folder (``bench/khabar_seed.py`` as the web benchmark does: the
story has 200 comments, of which its page shows the first 40), serves it with one granian app
server as ``bench/web.py`` does (``KHABAR_ENV=production``, the page cache on; with ``--prod``
also through the production profile's nginx, which compresses), starts the Wagtail peer
with its own scripts (``../shared/peers/wagtail``), then loads each page in Debian's
Chromium through Playwright with, per run, a fresh browser context:

* a phone: 390 x 844 CSS pixels, device scale factor 3, mobile, touch;
* CPU throttled 4x (``Emulation.setCPUThrottlingRate``);
* "slow 4G" (``Network.emulateNetworkConditions``): 150 ms latency, 1.6 Mbit/s down
  (200,000 bytes/s), 750 kbit/s up (93,750 bytes/s); the cache disabled.

LCP is the last ``largest-contentful-paint`` entry and CLS the sum of ``layout-shift``
entries without recent input, both from a PerformanceObserver (``buffered: true``) that the
driver injects before the page's scripts (the pages' CSP forbids eval, not that); bytes are
the sum of ``encodedDataLength`` of every ``Network.loadingFinished`` (headers included, as
sent on the wire). The median of the runs is printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.web import (
    BIN,
    PEERS_DIR,
    PEERS_HOME,
    AppServer,
    app_env,
    peer_script,
    peers_env,
    seed,
    wait_http,
)

PORT = 18194
WAGTAIL_PORT = os.environ.get("WAGTAIL_PORT", "18082")
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Slow 4G: latency in ms, throughput in bytes per second.
NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
CPU_RATE = 4
OBSERVE = """
window.__lcp = 0; window.__lcpTag = ''; window.__cls = 0; window.__shifts = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    window.__lcp = e.startTime;
    window.__lcpTag = e.element ? e.element.tagName + '.' + (e.element.className || '') : '';
  }
}).observe({type: 'largest-contentful-paint', buffered: true});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) { window.__cls += e.value; window.__shifts += 1; }
  }
}).observe({type: 'layout-shift', buffered: true});
"""


def log(message: str) -> None:
    print(f"[phone] {message}", file=sys.stderr, flush=True)


def measure(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
        ),
    )
    try:
        page = context.new_page()
        page.add_init_script(OBSERVE)
        cdp = context.new_cdp_session(page)
        sizes: dict[str, float] = {}
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_RATE})
        start = time.monotonic()
        page.goto(url, wait_until="load", timeout=120_000)
        load = time.monotonic() - start
        # Let late requests and paints settle: quiet network, then a second more.
        try:
            page.wait_for_load_state("networkidle", timeout=15_000)
        except Exception:
            pass
        page.wait_for_timeout(1000)
        found = page.evaluate(
            "({lcp: window.__lcp, tag: window.__lcpTag, cls: window.__cls,"
            " shifts: window.__shifts, comments: document.querySelectorAll('li.comment').length})"
        )
        return {
            "lcp": found["lcp"] / 1000,
            "cls": found["cls"],
            "shifts": found["shifts"],
            "lcp_element": found["tag"],
            "comments": found["comments"],
            "bytes": int(sum(sizes.values())),
            "requests": len(sizes),
            "load": load,
        }
    finally:
        context.close()


def run(options: argparse.Namespace) -> list[tuple[str, str, list[dict[str, Any]]]]:
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="khabar-phone-"))
    for sub in ("logs", "run", "var"):
        (home / sub).mkdir()
    home.chmod(0o755)  # PostgreSQL of the production profile runs as its own user
    server = None
    topology = None
    wagtail = False
    pages: list[tuple[str, str, str]] = []
    out: list[tuple[str, str, list[dict[str, Any]]]] = []
    try:
        env = app_env(home / "var", f"http://127.0.0.1:{PORT}")
        log("seeding khabar (migrate, demo, the 200-comment story)")
        # load_demo (inside the seed) refuses KHABAR_ENV=production since 53cc85f: seed the
        # same database with the development settings; the server runs as production.
        data = seed(dict(env, KHABAR_ENV="development"), "--no-big")
        subprocess.run(
            [str(BIN / "khabar"), "collectstatic", "--noinput", "-v", "0"], env=env, check=True
        )
        server = AppServer("phone", PORT, env, home)
        server.start()
        wait_http(server.url + data["story"], "khabar")
        pages += [
            ("khabar", "home /ar/", server.url + "/ar/"),
            ("khabar", "story, 40 of 200 comments shown", server.url + data["story"]),
        ]
        if options.prod:
            from ops.topology import Topology

            log("starting the production profile (PostgreSQL, Redis, 2 app processes, nginx)")
            topology = Topology.on_free_ports(home / "prod")
            topology.home.mkdir()
            topology.up()
            prod = seed(dict(topology.env(), KHABAR_ENV="development"), "--no-big")
            pages += [
                ("khabar via nginx", "home /ar/", topology.url + "/ar/"),
                (
                    "khabar via nginx",
                    "story, 40 of 200 comments shown",
                    topology.url + prod["story"],
                ),
            ]
        if not options.no_wagtail:
            if not (PEERS_HOME / "venv-wagtail/bin/python").exists():
                peer_script("setup.sh")
            peer_script("wagtail/setup-db.sh", "1000")
            peer_script("wagtail/start.sh", PORT=WAGTAIL_PORT)
            wagtail = True
            url = f"http://127.0.0.1:{WAGTAIL_PORT}/news/500/"
            wait_http(url, "wagtail")
            pages.append(("Wagtail", "article /news/500/", url))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for who, what, url in pages:
                    measure(browser, url)  # warm the servers' caches, not measured
                    runs = []
                    for n in range(options.runs):
                        result = measure(browser, url)
                        log(f"{who} {what} run {n + 1}: {result}")
                        runs.append(result)
                    out.append((who, what, runs))
            finally:
                browser.close()
    finally:
        if server is not None:
            server.stop()
        if topology is not None:
            topology.down()
        if wagtail:
            subprocess.run(
                ["bash", str(PEERS_DIR / "wagtail" / "stop.sh")], env=peers_env(), check=False
            )
        shutil.rmtree(home, ignore_errors=True)
    return out


def table(out: list[tuple[str, str, list[dict[str, Any]]]]) -> str:
    lines = [
        "| site | page | LCP (s) | CLS | bytes transferred | requests | comments shown "
        "| LCP by run (s) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for who, what, runs in out:
        by_run = " ".join(f"{r['lcp']:.2f}" for r in runs)
        med = {k: statistics.median(r[k] for r in runs) for k in ("lcp", "cls", "bytes")}
        lines.append(
            f"| {who} | {what} | {med['lcp']:.2f} | {med['cls']:.3f} | {int(med['bytes']):,} "
            f"| {runs[0]['requests']} | {runs[0]['comments']} | {by_run} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.phone", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-wagtail", action="store_true")
    parser.add_argument(
        "--prod",
        action="store_true",
        help="also through the production profile's nginx (gzip, proxy cache)",
    )
    options = parser.parse_args(argv)

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    print(table(run(options)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
