"""``khabar backup DIR`` and ``khabar restore DIR``: the database and the media come back."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import connection

from khabar.articles.models import Article
from khabar.comments import actions as comment_actions
from khabar.comments.models import Comment
from khabar.security.backup import media_files, table_counts
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    (root / "photos" / "2024").mkdir(parents=True)
    (root / "photos" / "2024" / "lead.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    (root / "photos" / "2024" / "lead-640.webp").write_bytes(b"RIFF" + b"\x01" * 999)
    settings.MEDIA_ROOT = str(root)
    return root


def snapshot() -> tuple[dict[str, int], list[tuple[int, str]], list[tuple[int, str]]]:
    connection.ensure_connection()
    return (
        table_counts(connection.connection),
        list(Article.objects.order_by("pk").values_list("pk", "headline")),
        list(Comment.objects.order_by("pk").values_list("pk", "text")),
    )


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

    call_command("restore", str(tmp_path / "backup"), "--noinput", stdout=StringIO())
    assert snapshot() == before
    assert media_files(media) == files_before
    assert Comment.objects.get().text == "تعليق محفوظ"


def test_it_refuses_a_damaged_backup_and_leaves_the_data_alone(media, tmp_path):
    make_article(headline="خبر باق")
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    database = tmp_path / "backup" / "khabar.sqlite3"
    data = bytearray(database.read_bytes())
    data[5000:5100] = bytes(byte ^ 0xFF for byte in data[5000:5100])
    database.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(tmp_path / "backup"), "--noinput")
    assert Article.objects.filter(headline="خبر باق").exists()


def test_it_says_what_is_wrong_with_a_folder_that_is_not_a_backup(tmp_path, media):
    with pytest.raises(CommandError, match="not a khabar backup"):
        call_command("restore", str(tmp_path), "--noinput")
