"""Live stories' streams in the production profile: through nginx to the stream process.

A reader's open stream receives an update the desk publishes; hundreds of open streams hold
no page worker (the site's uncached pages are still answered); past the stream process's
limit a reader is told to poll; a withdrawn story's stream ends and is not opened again.
"""

from __future__ import annotations

import http.client
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_scaleout import fetch, shell

from ops.topology import Topology, template_for, wait_for

pytestmark = [pytest.mark.xdist_group("topology"), pytest.mark.topology]

#: Streams the stream process holds in these tests; the reader after them is refused.
LIMIT = 200
#: A stream is held this long, with a keep-alive comment every HEARTBEAT seconds; a reader
#: that hears nothing for QUIET seconds (less than both) has a stream that went silent.
HOLD, HEARTBEAT, QUIET = 60, 50, 30


class StreamSite(Topology):
    def env(self) -> dict[str, str]:
        return dict(super().env(), KHABAR_LIVE_HOLD=str(HOLD), KHABAR_LIVE_HEARTBEAT=str(HEARTBEAT))


@pytest.fixture(scope="module")
def site() -> Iterator[Topology]:
    """The production profile with its stream process limited to ``LIMIT`` streams."""
    home = Path(tempfile.mkdtemp(prefix="khabar-live-topology-"))
    topology = StreamSite.on_free_ports(home, durable=False)
    topology.stream_max = LIMIT
    try:
        topology.up(template=template_for(demo=True))
        yield topology
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


def start_live(site: Topology) -> dict[str, int]:
    """A published Arabic story made live from the command line: its ids and change number."""
    out = shell(
        site,
        "import json; from khabar.articles.models import Article; "
        "from khabar.live import actions; from khabar.site.actors import COMMAND_LINE; "
        "from khabar.live.models import LiveStory; "
        "a = Article.objects.published().in_edition('ar').exclude("
        "pk__in=LiveStory.objects.values('article_id')).order_by('-pk').first(); "
        "live = actions.start_live(a, actor=COMMAND_LINE); "
        "print('LIVE', json.dumps({'article': a.pk, 'live': live.pk, 'seq': live.seq}))",
    )
    line = next(x for x in out.splitlines() if x.startswith("LIVE "))
    return dict(json.loads(line[5:]))


def post_update(site: Topology, live_pk: int, text: str) -> None:
    shell(
        site,
        "from khabar.live import actions; from khabar.live.models import LiveStory; "
        "from khabar.site.actors import COMMAND_LINE; "
        f"actions.post_update(LiveStory.objects.get(pk={live_pk}), actor=COMMAND_LINE, "
        f"text={text!r})",
    )


#: Streams nginx lets one address hold open (deploy/nginx.conf.template).
PER_ADDRESS = 32


def open_stream(site: Topology, story: dict[str, int], reader: int = 0) -> http.client.HTTPResponse:
    """A reader's EventSource request through nginx, answered up to its headers. Each
    ``reader`` comes from an address of its own on the loopback network (127.1.0.1 and
    on), as readers of a live story do from the world."""
    conn = http.client.HTTPConnection(
        "127.0.0.1",
        site.proxy_port,
        timeout=QUIET,
        source_address=(f"127.1.{reader // 250}.{reader % 250 + 1}", 0),
    )
    conn.request(
        "GET",
        f"/live/{story['article']}/events?since={story['seq']}",
        headers={"Accept": "text/event-stream"},
    )
    return conn.getresponse()


def read_until(stream: http.client.HTTPResponse, text: str) -> str:
    """What the stream carried up to the line holding ``text`` (or up to its end); a stream
    silent for ``QUIET`` seconds raises TimeoutError."""
    seen = []
    while line := stream.readline():
        seen.append(line.decode())
        if text in seen[-1]:
            break
    return "".join(seen)


def test_it_streams_an_update_the_desk_publishes_through_nginx(site):
    story = start_live(site)
    stream = open_stream(site, story)
    try:
        assert stream.status == 200
        assert stream.getheader("Content-Type") == "text/event-stream"
        assert stream.getheader("Cache-Control") == "no-cache, no-store"
        assert stream.getheader("X-Proxy-Cache") is None  # never through the page cache
        assert stream.readline().startswith(b"retry: ")
        post_update(site, story["live"], "وصول فرق الإنقاذ إلى موقع الزلزال")
        seen = read_until(stream, "وصول فرق الإنقاذ")
    finally:
        stream.close()
    assert "event: update" in seen and "وصول فرق الإنقاذ إلى موقع الزلزال" in seen


def test_it_offers_the_stream_on_a_live_storys_page(site):
    story = start_live(site)
    path = shell(
        site,
        "from khabar.articles.models import Article; "
        f"print('PATH', Article.objects.get(pk={story['article']}).get_absolute_url())",
    ).split("PATH ")[-1]
    status, _headers, page = fetch(site.url + path.strip())
    assert status == 200
    assert f'data-live-events="/live/{story["article"]}/events"' in page


def test_it_answers_pages_while_streams_are_open_and_refuses_streams_past_its_limit(site):
    story = start_live(site)
    streams = [open_stream(site, story, reader) for reader in range(LIMIT)]
    try:
        assert [s.status for s in streams].count(200) == LIMIT
        # The page workers are free: pages nobody asked for yet are rendered by the app.
        for n in range(6):
            probe = f"?probe=streams-{n}-{time.time_ns()}"
            status, headers, body = fetch(f"{site.url}/ar/{probe}")
            assert status == 200 and 'dir="rtl"' in body
            assert headers.get("X-Proxy-Cache") != "HIT"
            status, _headers, _body = fetch(f"{site.app_url(n % 2)}/ar/{probe}")
            assert status == 200
        # One reader more than the stream process holds is told to come back (it polls).
        refused = open_stream(site, story, LIMIT)
        assert refused.status == 503 and refused.getheader("Retry-After", "").isdigit()
        refused.close()
        # The streams held all along still carry what the desk publishes.
        post_update(site, story["live"], "الدفاع المدني يعلن حصيلة أولية")
        for held in (streams[0], streams[LIMIT // 2], streams[-1]):
            assert "الدفاع المدني يعلن حصيلة أولية" in read_until(held, "حصيلة أولية")
    finally:
        for stream in streams:
            stream.close()


def test_it_counts_readers_who_leave_out_at_once(site):
    """granian tells the stream process when nginx closes a reader's stream: the places of
    readers who left are free long before their hold (60 s) would have ended."""
    story = start_live(site)
    for stream in [open_stream(site, story, reader) for reader in range(LIMIT)]:
        assert stream.status == 200
        stream.close()
    opened: list[http.client.HTTPResponse] = []
    try:
        for _round in range(10):
            batch = [open_stream(site, story, reader) for reader in range(len(opened), LIMIT)]
            opened += [s for s in batch if s.status == 200]
            for refused in (s for s in batch if s.status != 200):
                refused.close()
            if len(opened) == LIMIT:
                break
            time.sleep(0.5)
        assert len(opened) == LIMIT
    finally:
        for stream in opened:
            stream.close()


def test_one_address_holds_no_more_than_its_share_of_the_streams(site):
    """One client opening stream after stream is refused past its share (and its page
    polls), while a reader from another address still gets a stream."""
    story = start_live(site)
    greedy = 999  # one address for all of its streams
    held = [open_stream(site, story, greedy) for _stream in range(PER_ADDRESS)]
    try:
        assert [s.status for s in held].count(200) == PER_ADDRESS
        refused = open_stream(site, story, greedy)
        assert refused.status == 429
        refused.close()
        other = open_stream(site, story, greedy + 1)
        assert other.status == 200
        other.close()
        # A stream the client closes gives its place back.
        held.pop().close()

        def opened_again() -> bool:
            again = open_stream(site, story, greedy)
            if again.status != 200:
                again.close()
                return False
            held.append(again)
            return True

        # nginx frees the place once it has seen the connection close.
        wait_for(opened_again, "a stream from the address after one of its own closed", 10)
    finally:
        for stream in held:
            stream.close()


def test_it_ends_a_withdrawn_storys_stream_and_opens_it_no_more(site):
    story = start_live(site)
    stream = open_stream(site, story)
    try:
        assert stream.status == 200
        assert stream.readline().startswith(b"retry: ")
        shell(
            site,
            "from khabar.articles.actions import withdraw_article; "
            "from khabar.articles.models import Article; "
            "from khabar.site.actors import COMMAND_LINE; "
            f"withdraw_article(Article.objects.get(pk={story['article']}), "
            "actor=COMMAND_LINE, reason='خبر غير دقيق')",
        )
        rest = read_until(stream, "never-sent")  # to its end
    except TimeoutError:
        pytest.fail("the stream stayed open, silent, after the story was withdrawn")
    finally:
        stream.close()
    assert "event: update" not in rest
    again = open_stream(site, story)
    assert again.status == 404
    again.close()


def test_it_keeps_streaming_after_postgresql_restarts(site):
    """The stream process's database thread drops the connection the restart broke and
    takes a new one at its next look; open streams carry on."""
    story = start_live(site)
    stream = open_stream(site, story)
    try:
        assert stream.status == 200
        assert stream.readline().startswith(b"retry: ")
        site.restart_postgres()
        post_update(site, story["live"], "استئناف الرحلات في المطار بعد توقف")
        seen = read_until(stream, "استئناف الرحلات")
    finally:
        stream.close()
    assert "استئناف الرحلات في المطار بعد توقف" in seen
    again = open_stream(site, story)
    assert again.status == 200
    again.close()
