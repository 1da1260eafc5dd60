"""``khabar backup DIR`` and ``khabar restore DIR``: the database and the media come back,
and neither command can harm the live data (issues 13 and 23)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import unquote
from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import connection

from khabar.articles import actions as article_actions
from khabar.articles.models import Article
from khabar.comments import actions as comment_actions
from khabar.comments.models import Comment
from khabar.photos import actions as photo_actions
from khabar.photos.samples import sample_jpeg
from khabar.search.backends import get_backend
from khabar.security import backup as backup_module
from khabar.security.backup import database_in_use, media_files, table_counts
from khabar.site import actors, pagecache
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db(transaction=True)

TESTS = actors.system("tests")


@pytest.fixture
def var(settings, tmp_path) -> Path:
    """A live var folder: media with a photo and a stray file, static, the page store."""
    root = tmp_path / "var"
    media = root / "media"
    (media / "photos" / "2024").mkdir(parents=True)
    (media / "photos" / "2024" / "lead.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    (media / "photos" / "2024" / "lead-640.webp").write_bytes(b"RIFF" + b"\x01" * 999)
    (root / "static").mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.STATIC_ROOT = root / "static"
    settings.KHABAR_PAGECACHE_PATH = str(root / "pagecache.sqlite3")
    return root


@pytest.fixture
def media(var) -> Path:
    return var / "media"


def snapshot() -> tuple[dict[str, int], list[tuple[int, str]], list[tuple[int, str]]]:
    connection.ensure_connection()
    return (
        table_counts(connection.connection),
        list(Article.objects.order_by("pk").values_list("pk", "headline")),
        list(Comment.objects.order_by("pk").values_list("pk", "text")),
    )


def database_digest() -> str:
    """A hash of every row of every table of the live database."""
    connection.ensure_connection()
    db = connection.connection
    digest = hashlib.sha256()
    for name in table_counts(db):
        for row in sorted(repr(row) for row in db.execute(f'SELECT * FROM "{name}"')):
            digest.update(row.encode())
    return digest.hexdigest()


def live_state(media: Path) -> tuple[str, dict[str, str]]:
    return database_digest(), media_files(media)


def get(app, path: str) -> tuple[int, dict[str, str], str]:
    """A reader's GET through the WSGI layer (where page cache hits are answered)."""
    environ = {"PATH_INFO": unquote(path).encode().decode("latin-1"), "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "127.0.0.1:8000"
    environ["wsgi.input"] = io.BytesIO(b"")
    seen: dict[str, object] = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    body = b"".join(app(environ, start_response)).decode()
    return seen["status"], seen["headers"], body  # type: ignore[return-value]


def make_backup(tmp_path: Path, name: str = "backup") -> Path:
    call_command("backup", str(tmp_path / name), stdout=StringIO())
    return tmp_path / name


def restore(folder: Path, *args: str) -> str:
    out = StringIO()
    call_command("restore", str(folder), "--noinput", *args, stdout=out)
    return out.getvalue()


def test_it_restores_the_database_and_media_as_they_were(media, tmp_path):
    story = make_article(section=make_section(comment_policy="post"), headline="خبر قبل النسخ")
    comment_actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="سارة", text="تعليق محفوظ"
    )
    before = snapshot()
    files_before = media_files(media)
    out = StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    assert "media file(s)" in out.getvalue()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"]["comments_comment"] == 1

    # Things go wrong after the backup: new rows, lost rows, a damaged and a new file.
    make_article(headline="خبر بعد النسخ")
    Comment.objects.all().delete()
    (media / "photos" / "2024" / "lead.jpg").write_bytes(b"broken")
    (media / "photos" / "stray.png").write_bytes(b"stray")
    assert snapshot() != before

    restore(tmp_path / "backup")
    after = snapshot()
    # The search index is derived data: a restore rebuilds it from the restored stories
    # (rows another test left in it are gone), so it is compared with them, not the copy.
    changed = {
        name: (count, after[0].get(name))
        for name, count in before[0].items()
        if after[0].get(name) != count and not name.startswith("search_")
    }
    assert changed == {}, changed
    assert after[1:] == before[1:]
    assert after[0]["search_document"] == Article.objects.published().count()
    assert media_files(media) == files_before
    assert Comment.objects.get().text == "تعليق محفوظ"
    # Nothing is left beside the live folders.
    assert sorted(p.name for p in media.parent.iterdir()) == ["media", "static"]


def test_it_refuses_a_damaged_backup_and_leaves_the_data_alone(media, tmp_path):
    make_article(headline="خبر باق")
    folder = make_backup(tmp_path)
    database = folder / "khabar.sqlite3"
    data = bytearray(database.read_bytes())
    data[5000:5100] = bytes(byte ^ 0xFF for byte in data[5000:5100])
    database.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="damaged"):
        restore(folder)
    assert Article.objects.filter(headline="خبر باق").exists()


def test_it_says_what_is_wrong_with_a_folder_that_is_not_a_backup(tmp_path, media):
    with pytest.raises(CommandError, match="not a khabar backup"):
        restore(tmp_path)


# Issue 13, finding 4: a backup into the live data ------------------------------------


@pytest.mark.parametrize(
    "where",
    ["var", "var/media", "var/media/photos/backup", "var/static/b", "var/backup", "."],
)
def test_it_refuses_a_backup_that_overlaps_the_live_data(var, media, tmp_path, where, settings):
    make_article(headline="خبر حي")
    # The live database's folder is the var folder, as in production.
    (var / "khabar.sqlite3").touch()
    original = backup_module.database_path
    backup_module.database_path = lambda: (var / "khabar.sqlite3").resolve()
    try:
        before = media_files(media)
        with pytest.raises(CommandError, match="overlaps the live"):
            call_command("backup", str(tmp_path / where), stdout=StringIO())
    finally:
        backup_module.database_path = original
    assert media_files(media) == before
    assert before  # the live media is still there


def test_it_refuses_a_backup_through_a_link_into_the_live_media(media, tmp_path):
    (tmp_path / "elsewhere").symlink_to(media)
    before = media_files(media)
    with pytest.raises(CommandError, match="overlaps the live media"):
        call_command("backup", str(tmp_path / "elsewhere"), stdout=StringIO())
    assert media_files(media) == before


def test_it_says_one_line_for_a_backup_pointed_at_a_file(media, tmp_path):
    (tmp_path / "backup.tar").write_bytes(b"not a folder")
    with pytest.raises(CommandError, match="is a file, not a folder"):
        call_command("backup", str(tmp_path / "backup.tar"), stdout=StringIO())
    assert (tmp_path / "backup.tar").read_bytes() == b"not a folder"


def test_it_refuses_to_fill_a_folder_holding_something_else(media, tmp_path):
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "letter.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "documents"), stdout=StringIO())
    assert (tmp_path / "documents" / "letter.txt").read_text() == "keep me"


def test_it_replaces_an_earlier_backup_in_the_same_folder(media, tmp_path):
    make_article(headline="الأول")
    folder = make_backup(tmp_path)
    make_article(headline="الثاني")
    folder = make_backup(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["articles_article"] == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# Issue 13, finding 4: a restore from a partial or damaged backup ---------------------


def test_it_refuses_a_backup_holding_only_the_database_and_touches_nothing(media, tmp_path):
    make_article(headline="خبر حي")
    folder = make_backup(tmp_path)
    shutil.rmtree(folder / "media")
    make_article(headline="خبر بعد النسخ")
    before = live_state(media)
    with pytest.raises(CommandError, match="no media/ folder"):
        restore(folder)
    assert live_state(media) == before


def test_it_refuses_a_backup_missing_one_media_file_and_touches_nothing(media, tmp_path):
    folder = make_backup(tmp_path)
    (folder / "media" / "photos" / "2024" / "lead-640.webp").unlink()
    make_article(headline="خبر بعد النسخ")
    before = live_state(media)
    with pytest.raises(CommandError, match="lacks 1 media file"):
        restore(folder)
    assert live_state(media) == before


def test_it_refuses_a_corrupted_photo_original_and_touches_nothing(media, tmp_path):
    story = make_article(headline="خبر مصور")
    photo = photo_actions.upload_photo(sample_jpeg(640, 480, seed=3), actor=TESTS)
    photo_actions.attach_photo(story, photo, actor=TESTS)
    folder = make_backup(tmp_path)
    original = folder / "media" / photo.original.name
    data = bytearray(original.read_bytes())
    data[200] ^= 0xFF
    original.write_bytes(bytes(data))
    make_article(headline="خبر بعد النسخ")
    before = live_state(media)
    with pytest.raises(CommandError, match="does not match the manifest"):
        restore(folder)
    assert live_state(media) == before


def test_it_refuses_a_database_naming_a_photo_the_backup_lacks(media, tmp_path):
    photo = photo_actions.upload_photo(sample_jpeg(640, 480, seed=4), actor=TESTS)
    folder = make_backup(tmp_path)
    # A backup whose manifest was rewritten without the original (a partial copy).
    (folder / "media" / photo.original.name).unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["media"][photo.original.name]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    before = live_state(media)
    with pytest.raises(CommandError, match="refers to 1 media file"):
        restore(folder)
    assert live_state(media) == before


def test_it_puts_everything_back_when_the_restore_fails_half_way(media, tmp_path, monkeypatch):
    make_article(headline="في النسخة")
    folder = make_backup(tmp_path)
    make_article(headline="بعد النسخة")
    (media / "photos" / "new.jpg").write_bytes(b"new")
    before = live_state(media)

    def broken_index(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("khabar.security.management.commands.restore.rebuild_index", broken_index)
    with pytest.raises(CommandError, match="live data is as it was"):
        restore(folder)
    assert live_state(media) == before
    assert Article.objects.filter(headline="بعد النسخة").exists()


def test_it_hashes_the_database_in_chunks(media, tmp_path, monkeypatch):
    make_article()
    folder = make_backup(tmp_path)
    monkeypatch.setattr(
        Path, "read_bytes", lambda self: pytest.fail(f"{self} read whole into memory")
    )
    restore(folder)


# Issue 23: a restore leaves no cache and no index from before ------------------------


def test_it_empties_warm_caches_and_rebuilds_the_index(settings, media, tmp_path, monkeypatch):
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PROXY_PURGE_URLS = ["http://127.0.0.1:9"]
    purged: list[str] = []
    monkeypatch.setattr("khabar.site.proxy.purge_paths", lambda paths: purged.extend(paths))
    pagecache.reset_store()
    from django.core.cache import caches

    from khabar.wsgi import application

    try:
        kept = make_article(headline="خبر محفوظ في النسخة")
        # The backup's index lacks the story: only a rebuild finds it again.
        get_backend().delete(kept.pk)
        folder = make_backup(tmp_path)
        later = make_article(headline="خبر لاحق يختفي بعد الاسترجاع")
        article_actions.correct_article(
            kept,
            actor=TESTS,
            note="تصحيح",
            base_revision=None,
            headline="عنوان مصحح بعد النسخ",
        )
        for story in (kept, later):
            get(application, Article.objects.get(pk=story.pk).get_absolute_url())
        home = f"/{kept.lang}/"
        get(application, home)
        status, headers, body = get(application, home)
        assert headers.get("X-Cache") == "HIT" and "خبر لاحق" in body
        caches["default"].set("something", "old")

        restore(folder)

        # The proxy in front is told to drop every page the app had cached.
        assert {home, later.get_absolute_url()} <= set(purged)
        status, headers, body = get(application, home)
        assert "X-Cache" not in headers
        assert "خبر لاحق" not in body and "عنوان مصحح" not in body
        assert "خبر محفوظ في النسخة" in body
        status, _headers, body = get(application, kept.get_absolute_url())
        assert status == 200 and "عنوان مصحح" not in body and "خبر محفوظ في النسخة" in body
        status, _headers, _body = get(application, later.get_absolute_url())
        assert status == 404
        assert caches["default"].get("something") is None
        assert get_backend().search("محفوظ", lang=kept.lang).ids == [kept.pk]
        assert get_backend().search("لاحق", lang=kept.lang).ids == []
    finally:
        pagecache.reset_store()


# Issue 23: a restore while the app runs --------------------------------------------

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS t (x)")
db.execute("SELECT * FROM t").fetchall()
print("open", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def app_process(tmp_path):
    """Another process holding a WAL database open, as an app process does."""
    path = tmp_path / "live.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "open"
    yield path, process
    if process.poll() is None:
        process.stdin.close()
        process.wait(timeout=10)


def test_it_sees_another_process_holding_the_database_but_not_itself(app_process):
    path, process = app_process
    mine = sqlite3.connect(path)
    mine.execute("SELECT * FROM t").fetchall()
    assert database_in_use(path)
    process.stdin.close()
    process.wait(timeout=10)
    assert not database_in_use(path)
    # Asking did not disturb this process's own connection.
    mine.execute("INSERT INTO t VALUES (1)")
    mine.commit()
    mine.close()


def test_it_refuses_a_restore_while_the_app_runs(media, tmp_path, app_process, monkeypatch):
    make_article(headline="خبر حي")
    folder = make_backup(tmp_path)
    make_article(headline="خبر بعد النسخ")
    path, _process = app_process
    monkeypatch.setattr(backup_module, "running_app", lambda: str(path))
    before = live_state(media)
    with pytest.raises(CommandError, match="the app is running") as refused:
        restore(folder)
    assert "\n" not in str(refused.value)
    assert live_state(media) == before
    assert "restored" in restore(folder, "--force")


def test_it_checks_the_live_database_and_the_page_store(settings, tmp_path, app_process):
    path, _process = app_process
    settings.KHABAR_PAGECACHE = True
    settings.REDIS_URL = ""
    settings.KHABAR_PAGECACHE_PATH = str(path)
    assert backup_module.running_app() == str(path)
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "unused.sqlite3")
    assert backup_module.running_app() == ""
