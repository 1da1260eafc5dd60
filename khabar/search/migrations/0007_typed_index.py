"""The desk's typed search of stories readers cannot see: a trigram index of their text.

``khabar.search.desk.typed_story_ids`` matches a term as typed (a substring) in the headline,
body and sign-off of the stories never live (drafts, submitted, scheduled, withdrawn) and of
live ones with no publishing time. Without an index that read every such story's text: at a
million stories, 30,000 bodies read one by one (0.3 s on SQLite, 0.9 s on PostgreSQL, where
``UPPER`` of Arabic text costs too). A trigram index finds the few holding a term of three
letters or more; a shorter term is common enough that reading the newest stories finds
enough of them soon.

SQLite: an FTS5 table with the trigram tokenizer over ``articles_article`` (external content:
it stores only the index), holding exactly those stories, kept by triggers on the table, so
every write path keeps it whatever it is. PostgreSQL: a partial GIN index of ``pg_trgm`` over
the same expressions Django's ``icontains`` compares (``UPPER(column::text)``); when the
extension cannot be created (no contrib package, no right to), the search works as before,
without it.
"""

from django.db import migrations

NEVER_LIVE = "('draft', 'submitted', 'scheduled', 'withdrawn')"
#: The stories the index holds, as a condition on a row (``new.`` or ``old.`` in a trigger).
HELD = "({row}status IN " + NEVER_LIVE + " OR {row}published_at IS NULL)"
FIELDS = "headline, body, signoff"

SQLITE = [
    "CREATE VIRTUAL TABLE search_typed USING fts5(headline, body, signoff, "
    "content='articles_article', content_rowid='id', tokenize='trigram case_sensitive 0')",
    f"INSERT INTO search_typed (rowid, {FIELDS}) SELECT id, {FIELDS} FROM articles_article "
    f"WHERE {HELD.format(row='')}",
    "CREATE TRIGGER search_typed_insert AFTER INSERT ON articles_article "
    f"WHEN {HELD.format(row='new.')} BEGIN "
    f"INSERT INTO search_typed (rowid, {FIELDS}) "
    "VALUES (new.id, new.headline, new.body, new.signoff); END",
    "CREATE TRIGGER search_typed_delete AFTER DELETE ON articles_article "
    f"WHEN {HELD.format(row='old.')} BEGIN "
    f"INSERT INTO search_typed (search_typed, rowid, {FIELDS}) "
    "VALUES ('delete', old.id, old.headline, old.body, old.signoff); END",
    "CREATE TRIGGER search_typed_update_old AFTER UPDATE OF status, published_at, "
    f"{FIELDS} ON articles_article WHEN {HELD.format(row='old.')} BEGIN "
    f"INSERT INTO search_typed (search_typed, rowid, {FIELDS}) "
    "VALUES ('delete', old.id, old.headline, old.body, old.signoff); END",
    "CREATE TRIGGER search_typed_update_new AFTER UPDATE OF status, published_at, "
    f"{FIELDS} ON articles_article WHEN {HELD.format(row='new.')} BEGIN "
    f"INSERT INTO search_typed (rowid, {FIELDS}) "
    "VALUES (new.id, new.headline, new.body, new.signoff); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_typed_update_new",
    "DROP TRIGGER IF EXISTS search_typed_update_old",
    "DROP TRIGGER IF EXISTS search_typed_delete",
    "DROP TRIGGER IF EXISTS search_typed_insert",
    "DROP TABLE IF EXISTS search_typed",
]
POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS search_typed_trgm ON articles_article USING GIN "
    "(UPPER(headline::text) gin_trgm_ops, UPPER(body::text) gin_trgm_ops, "
    f"UPPER(signoff::text) gin_trgm_ops) WHERE {HELD.format(row='')}"
)
#: The same stories newest first, for a term too short for trigrams: walked backwards until
#: enough match, rather than walking every story of the archive to find them.
POSTGRES_HELD = (
    f"CREATE INDEX IF NOT EXISTS search_typed_held ON articles_article (id) "
    f"WHERE {HELD.format(row='')}"
)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SAVEPOINT search_typed")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # no contrib, or no right: the typed search reads without it
                cursor.execute("ROLLBACK TO SAVEPOINT search_typed")
                schema_editor.execute(POSTGRES_HELD)
                return
            cursor.execute("RELEASE SAVEPOINT search_typed")
        schema_editor.execute(POSTGRES_HELD)
        schema_editor.execute(POSTGRES_INDEX)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_typed_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS search_typed_held")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0006_postgres_stage_one"),
        ("articles", "0010_published_index_include"),
    ]
    operations = [migrations.RunPython(forward, backward)]
