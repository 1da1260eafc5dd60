"""Exact forms beside stems, per field (headline, summary, body), and length norms.

The tables are recreated empty in the new shape: run ``khabar reindex`` after migrating
(a deploy does), which fills them from the published stories.
"""

from django.db import migrations

SQLITE = [
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_document",
    "CREATE TABLE search_document ("
    " id INTEGER PRIMARY KEY,"
    " lang TEXT NOT NULL,"
    " section_id INTEGER NOT NULL,"
    " published_ts INTEGER NOT NULL,"
    " headline TEXT NOT NULL,"
    " summary TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " headline_norm REAL NOT NULL,"
    " summary_norm REAL NOT NULL,"
    " body_norm REAL NOT NULL)",
    "CREATE INDEX search_document_lang_ts ON search_document (lang, published_ts)",
    # Stems in the first three columns, exact forms in the last three.
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    " headline, summary, body, headline_exact, summary_exact, body_exact,"
    " tokenize = 'unicode61 remove_diacritics 0', detail = full)",
]
POSTGRES = [
    "DROP TABLE IF EXISTS search_document",
    "CREATE TABLE search_document ("
    " id bigint PRIMARY KEY,"
    " lang varchar(8) NOT NULL,"
    " section_id bigint NOT NULL,"
    " published_at timestamptz NOT NULL,"
    " headline text NOT NULL,"
    " summary text NOT NULL,"
    " body text NOT NULL,"
    " headline_norm double precision NOT NULL,"
    " summary_norm double precision NOT NULL,"
    " body_norm double precision NOT NULL,"
    " vector tsvector NOT NULL,"
    " exact tsvector NOT NULL)",
    "CREATE INDEX search_document_vector ON search_document USING GIN (vector)",
    "CREATE INDEX search_document_lang_published ON search_document"
    " (lang, published_at DESC, id DESC)",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_tables")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
