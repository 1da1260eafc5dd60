"""PostgreSQL: what the first stage of a ranked search reads, each from its own GIN index.

Stage one (``SearchBackend._ranked``) needs, per query word, the stories holding its stem or
exact form in the headline or summary and those holding its exact form anywhere. The GIN
index of ``vector`` cannot tell fields apart (weights are checked on the row, which means
reading every matching story's whole vector), and ``exact`` had no index. ``head`` and
``head_exact`` hold the headline (weight A) and summary (B) alone: small, stored in the row,
indexed; ``exact`` gets its index. The new columns are filled from the existing vectors, so
no reindex is needed. SQLite's FTS5 table answers the same questions by column already.
"""

from django.db import migrations

POSTGRES = [
    "ALTER TABLE search_document ADD COLUMN IF NOT EXISTS head tsvector NOT NULL DEFAULT ''",
    "ALTER TABLE search_document ADD COLUMN IF NOT EXISTS head_exact tsvector NOT NULL DEFAULT ''",
    "UPDATE search_document SET head = ts_filter(vector, '{a,b}'), "
    "head_exact = ts_filter(exact, '{a,b}')",
    "CREATE INDEX IF NOT EXISTS search_document_head ON search_document USING GIN (head)",
    "CREATE INDEX IF NOT EXISTS search_document_head_exact ON search_document "
    "USING GIN (head_exact)",
    "CREATE INDEX IF NOT EXISTS search_document_exact ON search_document USING GIN (exact)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_document_exact",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS head_exact",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS head",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0005_rank_index")]
    operations = [migrations.RunPython(forward, backward)]
