"""A narrow covering index for ranking: what a query reads of every matching story.

The ranking reads each match's filter fields and length norms; in ``search_document`` they
share a row with the originals (headline, summary, body), so each read went through a wide
row. An index holding only those columns answers the reads by itself (SQLite: ``USING
COVERING INDEX``). PostgreSQL ranks through the same columns and gets the same index.
"""

from django.db import migrations

COLUMNS = "(id, lang, section_id, {published}, headline_norm, summary_norm, body_norm)"
FORWARD = {
    "sqlite": "CREATE INDEX IF NOT EXISTS search_document_rank ON search_document "
    + COLUMNS.format(published="published_ts"),
    "postgresql": "CREATE INDEX IF NOT EXISTS search_document_rank ON search_document "
    + COLUMNS.format(published="published_at"),
}


def forward(apps, schema_editor):
    sql = FORWARD.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor in FORWARD:
        schema_editor.execute("DROP INDEX IF EXISTS search_document_rank")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_seed_name_variants")]
    operations = [migrations.RunPython(forward, backward)]
