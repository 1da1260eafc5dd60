"""What a reader waits for right after a purge, through nginx (issue 19: the soak's p99).

    .venv/bin/python -m bench.cache_lock [--rounds 10] [--readers 20]

Starts the production profile (from the tests' template), then, each round, purges the
Arabic home page and at once sends ``--readers`` concurrent requests for it: one of them
(nginx's MISS) renders it, the others wait for that answer under ``proxy_cache_lock``.
Prints each kind's latency (nginx's X-Proxy-Cache) and the app's renders per purge, with
the cache lock as configured, as it was (waiting up to 5 s), and off (every reader nginx does
not have the page for goes to the apps, which coalesce themselves).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from ops.topology import ROOT, Topology, template_for


def get(url: str) -> tuple[float, str]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        status = response.headers.get("X-Proxy-Cache", "-")
    return (time.perf_counter() - started) * 1000, status


def round_trip(url: str, readers: int) -> list[tuple[float, str]]:
    """The home page's pages purged as a publish purges them (the apps' cache and nginx's),
    then ``readers`` readers at once."""
    from khabar.site import pagecache

    pagecache.purge_keys(["h:ar"])
    results: list[tuple[float, str]] = []
    lock = threading.Lock()

    def read() -> None:
        got = get(url + "/ar/")
        with lock:
            results.append(got)

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def rounds(site: Topology, count: int, readers: int) -> list[tuple[float, str]]:
    """``count`` rounds run by a process with the profile's settings (its purges reach the
    apps' page cache in Redis and nginx, as the desk's do)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.cache_lock",
            "--inner",
            site.url,
            "--rounds",
            str(count),
            "--readers",
            str(readers),
        ],
        env=site.env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(pair) for pair in json.loads(out.strip().splitlines()[-1])]  # type: ignore[misc]


def inner(url: str, count: int, readers: int) -> None:
    import django

    django.setup()
    results: list[tuple[float, str]] = []
    for _ in range(count):
        results += round_trip(url, readers)
        time.sleep(0.3)
    print(json.dumps(results))


def summary(name: str, results: list[tuple[float, str]]) -> None:
    by_status: dict[str, list[float]] = {}
    for ms, status in results:
        by_status.setdefault(status, []).append(ms)
    for status, values in sorted(by_status.items()):
        values.sort()
        p50 = statistics.median(values)
        print(
            f"{name:>9} {status:>8}: {len(values):4d} answers, p50 {p50:6.1f} ms,"
            f" max {values[-1]:6.1f} ms, {sum(v >= 500 for v in values)} at 500 ms or more"
        )


#: nginx's cache lock as deploy/nginx.conf.template sets it, and the variants compared.
VARIANTS = {
    "as set": None,
    "lock 5s": "proxy_cache_lock on;\n            proxy_cache_lock_timeout 5s;",
    "lock off": "proxy_cache_lock off;\n            proxy_cache_lock_timeout 5s;",
}


def app_misses(site: Topology) -> float:
    """Pages the apps rendered for their page cache (its misses), over both apps."""
    total = 0.0
    for index in range(len(site.app_ports)):
        with urllib.request.urlopen(site.app_url(index) + "/metrics", timeout=5) as response:
            text = response.read().decode()
        found = re.search(r'khabar_page_cache_requests_total\{outcome="miss"\} ([0-9.e+]+)', text)
        total += float(found.group(1)) if found else 0.0
    return total


def reload_nginx(site: Topology, original: str, variant: str | None) -> None:
    conf = site.home / "nginx.conf"
    text = original
    if variant is not None:
        found = re.search(r"proxy_cache_lock \w+;\s*proxy_cache_lock_timeout \w+;", text)
        assert found, "the template's cache lock lines moved"
        text = text[: found.start()] + variant + text[found.end() :]
    conf.write_text(text)
    subprocess.run(["nginx", "-c", str(conf), "-s", "reload"], check=True, capture_output=True)
    time.sleep(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache_lock")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.inner:
        inner(options.inner, options.rounds, options.readers)
        return 0
    home = Path(tempfile.mkdtemp(prefix="khabar-cachelock-"))
    site = Topology.on_free_ports(home, durable=False)
    try:
        site.up(template=template_for(demo=True))
        original = (site.home / "nginx.conf").read_text()
        for name, variant in VARIANTS.items():
            reload_nginx(site, original, variant)
            get(site.url + "/ar/")
            before = app_misses(site)
            results = rounds(site, options.rounds, options.readers)
            summary(name, results)
            renders = (app_misses(site) - before) / options.rounds
            print(f"{name:>9}: the apps rendered the page {renders:.1f} times a purge")
    finally:
        site.down()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
