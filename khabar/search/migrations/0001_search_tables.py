"""The search index tables, in the shape of the database's own backend.

SQLite gets an FTS5 table over the analysed text (plain unicode61 tokenizer) plus a table
of originals; PostgreSQL gets one table with a weighted tsvector column and a GIN index.
"""

from django.db import migrations

SQLITE = [
    "CREATE TABLE search_document ("
    " id INTEGER PRIMARY KEY,"
    " lang TEXT NOT NULL,"
    " section_id INTEGER NOT NULL,"
    " published_ts INTEGER NOT NULL,"
    " headline TEXT NOT NULL,"
    " summary TEXT NOT NULL,"
    " body TEXT NOT NULL)",
    "CREATE INDEX search_document_lang_ts ON search_document (lang, published_ts)",
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    " headline, body, tokenize = 'unicode61 remove_diacritics 0', detail = full)",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts", "DROP TABLE IF EXISTS search_document"]

POSTGRES = [
    "CREATE TABLE search_document ("
    " id bigint PRIMARY KEY,"
    " lang varchar(8) NOT NULL,"
    " section_id bigint NOT NULL,"
    " published_at timestamptz NOT NULL,"
    " headline text NOT NULL,"
    " summary text NOT NULL,"
    " body text NOT NULL,"
    " vector tsvector NOT NULL)",
    "CREATE INDEX search_document_vector ON search_document USING GIN (vector)",
    "CREATE INDEX search_document_lang_published ON search_document"
    " (lang, published_at DESC, id DESC)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS search_document"]


def _run(schema_editor, statements_by_vendor):
    statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def create(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES})


def drop(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(create, drop)]
