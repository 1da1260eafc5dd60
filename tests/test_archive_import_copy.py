"""On PostgreSQL the archive import writes its rows by COPY (``wire_import.insert_rows``):
the rows stored are those an INSERT of the same values stores, whatever the text holds
(tabs, new lines, backslashes, quotes, Arabic, JSON), NULLs, times, dates, UUIDs, booleans
and numbers included."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import pytest
from django.db import connections
from postgres import pg_alias  # noqa: F401 (a fixture)

from khabar.articles.models import Status
from khabar.articles.wire_import import insert_rows
from khabar.test import make_user

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.xdist_group("postgres"),
]

COLUMNS = ("id", "title", "body", "day", "at", "group_id", "flag", "size", "norm", "missing")


def test_rows_copied_are_the_rows_inserted(pg_alias):  # noqa: F811
    connection = connections[pg_alias]
    at = datetime.datetime(2023, 10, 26, 12, 30, 5, 123456, tzinfo=datetime.UTC)
    data = json.dumps([{"fields": {"body": 'سطر\nسطر\t\\ "اقتباس"'}}], ensure_ascii=False)
    rows = [
        (1, "عنوان", data, datetime.date(2023, 10, 26), at, uuid.uuid4(), True, 3, 0.25, None),
        (
            2,
            "",
            "a\tb\nc\\d\r\ne'f",
            datetime.date(1999, 1, 1),
            at,
            uuid.uuid4(),
            False,
            0,
            1e-9,
            None,
        ),
        (3, "\\N", "\\.", datetime.date(2024, 2, 29), None, None, None, None, None, None),
    ]
    with connection.cursor() as cursor:
        for table in ("copied", "inserted"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (id bigint PRIMARY KEY, title varchar(200) NOT NULL, "
                "body text NOT NULL, day date NOT NULL, at timestamptz, group_id uuid, "
                "flag boolean, size integer, norm float8, missing text)"
            )
    insert_rows(connection, "copied", COLUMNS, rows)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO inserted ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * 10)})",
            rows,
        )
        cursor.execute("SELECT * FROM copied ORDER BY id")
        copied = cursor.fetchall()
        cursor.execute("SELECT * FROM inserted ORDER BY id")
        assert copied == cursor.fetchall()
        assert copied[2][1:3] == ("\\N", "\\.")  # text that looks like COPY's markers
        assert json.loads(copied[0][2]) == json.loads(data)
        cursor.execute("DROP TABLE copied")
        cursor.execute("DROP TABLE inserted")


def test_the_vectors_the_reader_makes_are_those_the_backend_makes_of_the_text(
    django_assert_num_queries,
):
    # On PostgreSQL the import's reader makes each story's vectors with its analysis; the
    # writer takes them as they are. They must be what the backend makes of the story's
    # own text, and go unused where the index analyses the edition otherwise.
    from khabar.articles import wire_import
    from khabar.search.backends import postgres
    from khabar.search.documents import SearchDocument, document_for

    path = Path(__file__).resolve().parent.parent / "khabar/data/demo/wire-ar-moscow-2342.txt"
    editor = make_user("editor", "editor", signoff="2342")
    template = wire_import._Template(
        origin="cli",
        user_id=editor.pk,
        publish=True,
        status=Status.PUBLISHED,
        signoff="",
        vectors=True,
    )
    read = wire_import.parse_files([path], 2023, None)
    with django_assert_num_queries(0):  # the reader is a forked process: no database
        [item] = wire_import.analyse_files(read, template)
    assert item.problem == "" and item.article is not None
    article = item.article
    article.id, article.section_id = 1, 1
    made = document_for(article)
    assert made.vectors_apply() and made.vectors is not None
    afresh = SearchDocument(
        id=1,
        lang=article.lang,
        section_id=1,
        published_at=article.published_at,
        headline=article.headline,
        body=article.body,
    )
    assert made.vectors == postgres._vectors(afresh.fields)
    article.lang = "fa"  # analysed as Arabic, indexed as Persian: made again
    assert not document_for(article).vectors_apply()
