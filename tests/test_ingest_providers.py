"""Issue 22: ingest providers, a feed address or a folder the desk configured, polled by the
worker as the provider's partner, with status, last error and counts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from khabar.articles.models import Article, Status
from khabar.syndication.actions import POLLER, poll_due_providers, poll_provider
from khabar.syndication.fetch import FetchError, fetch
from khabar.syndication.models import HeldUpdate, Partner, Provider
from khabar.syndication.ninjs import to_ninjs
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


class Server:
    """A local HTTP server answering from ``routes``: path → (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


@pytest.fixture(autouse=True)
def section(db):
    return make_section("ar", "world", "دولي")


def ninjs(uri: str, version: int, headline: str) -> bytes:
    doc = to_ninjs(make_article(publish=False, headline=headline))
    return json.dumps({**doc, "uri": uri, "version": str(version)}).encode()


def provider(address: str, *, kind: str = "url", trusted: bool = False, **fields) -> Provider:
    partner = Partner.objects.create(name="وكالة الأنباء", can_ingest=True, trusted=trusted)
    return Provider.objects.create(
        name="خدمة الأخبار", kind=kind, address=address, partner=partner, **fields
    )


def test_it_polls_a_feed_address_as_the_providers_partner(server):
    server.routes["/feed"] = (200, {}, ninjs("urn:agency:1", 1, "خبر من المزود"))
    feed = provider(server.url("/feed"))
    polled = poll_provider(feed, actor=POLLER)
    assert polled.status == Provider.Health.OK
    assert (polled.documents_count, polled.stories_count, polled.errors_count) == (1, 1, 0)
    story = Article.objects.get(source_id="urn:agency:1")
    assert story.origin == f"partner:{feed.partner_id}"
    assert story.status == Status.SUBMITTED  # untrusted: an editor publishes it


def test_it_skips_a_feed_unchanged_since_the_last_poll(server):
    server.routes["/feed"] = (200, {}, ninjs("urn:agency:2", 1, "خبر لم يتغير"))
    feed = provider(server.url("/feed"))
    poll_provider(feed, actor=POLLER)
    polled = poll_provider(feed, actor=POLLER)
    assert polled.documents_count == 1


def test_it_holds_an_untrusted_providers_update_of_a_live_story(server):
    from khabar.articles import actions
    from khabar.test import SYSTEM

    server.routes["/feed"] = (200, {}, ninjs("urn:agency:3", 1, "الأولى"))
    feed = provider(server.url("/feed"))
    poll_provider(feed, actor=POLLER)
    story = Article.objects.get(source_id="urn:agency:3")
    actions.publish_article(story, actor=SYSTEM)
    server.routes["/feed"] = (200, {}, ninjs("urn:agency:3", 2, "الثانية"))
    poll_provider(feed, actor=POLLER)
    story.refresh_from_db()
    assert story.headline == "الأولى"
    assert HeldUpdate.objects.filter(article=story, source_version=2).exists()


def test_it_records_the_last_error_of_a_failing_provider(server):
    server.routes["/feed"] = (500, {}, b"")
    feed = provider(server.url("/feed"))
    polled = poll_provider(feed, actor=POLLER)
    assert polled.status == Provider.Health.FAILING
    assert "500" in polled.last_error
    assert polled.errors_count == 1 and polled.next_poll_at is not None


def test_it_refuses_plain_http_from_another_machine():
    with pytest.raises(FetchError, match="https"):
        fetch("http://93.184.216.34/feed", max_bytes=100, timeout=1)


def test_it_refuses_a_feed_larger_than_the_limit(server, settings):
    settings.KHABAR_INGEST_MAX_BYTES = 100
    server.routes["/feed"] = (200, {}, b"x" * 500)
    polled = poll_provider(provider(server.url("/feed")), actor=POLLER)
    assert polled.status == Provider.Health.FAILING
    assert "larger" in polled.last_error


def test_it_ingests_a_folder_and_moves_what_it_took_to_done(tmp_path):
    (tmp_path / "a.json").write_bytes(ninjs("urn:agency:4", 1, "من المجلد"))
    (tmp_path / "b.json").write_bytes(b"{not json")
    folder = provider(str(tmp_path), kind="folder")
    polled = poll_provider(folder, actor=POLLER)
    assert Article.objects.filter(source_id="urn:agency:4").exists()
    assert (tmp_path / "done" / "a.json").exists()
    assert (tmp_path / "b.json").exists()  # refused: left where it was, its error recorded
    assert polled.status == Provider.Health.FAILING and "b.json" in polled.last_error
    assert (polled.documents_count, polled.errors_count) == (1, 1)
    again = poll_provider(folder, actor=POLLER)
    assert Article.objects.filter(source_id="urn:agency:4").count() == 1
    assert again.documents_count == 1


def test_it_polls_only_the_providers_that_are_due(tmp_path):
    (tmp_path / "a.json").write_bytes(ninjs("urn:agency:5", 1, "مستحق"))
    provider(str(tmp_path), kind="folder")
    assert poll_due_providers(actor=POLLER) == 1
    assert poll_due_providers(actor=POLLER) == 0  # its next poll is an interval away


def test_it_refuses_a_poll_without_the_right():
    from django.core.exceptions import PermissionDenied

    from khabar.site.actors import system

    with pytest.raises(PermissionDenied):
        poll_provider(provider("https://example.org/"), actor=system("nobody", set()))


def test_it_never_follows_a_link_dropped_in_a_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.json").write_bytes(ninjs("urn:agency:secret", 1, "ليس للنشر"))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "link.json").symlink_to(outside / "private.json")
    polled = poll_provider(provider(str(drop), kind="folder"), actor=POLLER)
    assert polled.status == Provider.Health.OK and polled.documents_count == 0
    assert not Article.objects.filter(source_id="urn:agency:secret").exists()


def test_it_leaves_a_folders_files_in_place_when_asked_and_takes_each_once(tmp_path):
    (tmp_path / "a.json").write_bytes(ninjs("urn:agency:6", 1, "يبقى في مكانه"))
    folder = provider(str(tmp_path), kind="folder", after_taking=Provider.AfterTaking.KEEP)
    poll_provider(folder, actor=POLLER)
    again = poll_provider(folder, actor=POLLER)
    assert (tmp_path / "a.json").exists() and not (tmp_path / "done").exists()
    assert again.documents_count == 1 and again.status == Provider.Health.OK


def test_it_gives_up_on_an_address_that_trickles_its_bytes():
    import time

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100000):  # each byte well within the timeout, never the whole
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.02)
            except OSError:
                pass

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/feed"
        with pytest.raises(FetchError, match="took too long"):
            fetch(url, max_bytes=1_000_000, timeout=0.2)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_it_never_follows_a_link_put_in_place_of_a_listed_file(tmp_path, monkeypatch):
    # Whoever may drop files in the folder may swap one for a link between the listing and
    # the read: the read itself refuses the link, and the other files are still taken.
    from khabar.syndication import sources

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.json").write_bytes(ninjs("urn:agency:secret", 1, "ليس للنشر"))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.json").write_bytes(ninjs("urn:agency:swapped", 1, "يستبدل"))
    (drop / "b.json").write_bytes(ninjs("urn:agency:kept", 1, "يؤخذ"))
    listed = sources.LocalFolder.files

    def files_then_swap(self):
        found = listed(self)
        (drop / "a.json").unlink()
        (drop / "a.json").symlink_to(outside / "private.json")
        return found

    monkeypatch.setattr(sources.LocalFolder, "files", files_then_swap)
    polled = poll_provider(provider(str(drop), kind="folder"), actor=POLLER)
    assert not Article.objects.filter(source_id="urn:agency:secret").exists()
    assert Article.objects.filter(source_id="urn:agency:kept").exists()
    assert polled.status == Provider.Health.FAILING and "a.json" in polled.last_error


def test_it_keeps_polling_a_kept_folder_however_many_files_it_holds(tmp_path):
    # A folder whose files stay (after_taking=keep) grows for years; PostgreSQL takes at most
    # 65,535 parameters in a statement, so no statement of a poll may carry one per file.
    from django.db import connection

    for n in range(1500):
        (tmp_path / f"{n:05d}.jpg").write_bytes(b"")
    (tmp_path / "a.json").write_bytes(ninjs("urn:agency:many", 1, "مجلد كبير"))
    folder = provider(str(tmp_path), kind="folder", after_taking=Provider.AfterTaking.KEEP)
    sizes: list[int] = []

    def count(execute, sql, params, many, context):
        sizes.append(0 if many or params is None else len(params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        polled = poll_provider(folder, actor=POLLER)
    assert polled.status == Provider.Health.OK and polled.documents_count == 1
    assert max(sizes) < 1000
    # A file that left the folder is forgotten: one of that name coming back is new.
    (tmp_path / "a.json").unlink()
    poll_provider(folder, actor=POLLER)
    assert not folder.taken_files.exists()
