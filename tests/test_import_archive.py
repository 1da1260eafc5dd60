"""`khabar import_wire --archive`: a whole archive, streamed, in batches that commit as they
go, resumed without duplicates, with its audit entries and search index (issue 19)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from khabar.articles import wire_import
from khabar.articles.models import Article, AuditEntry, Status
from khabar.search.backends import get_backend
from khabar.test import make_section

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "khabar/data/demo/wire-ar-moscow-2342.txt"


@pytest.fixture
def archive(tmp_path):
    """60 wire stories in two folders, each with its own headline, and a broken file."""
    text = SAMPLE.read_text(encoding="utf-8")
    headline, rest = text.split("\n", 1)
    for n in range(60):
        folder = tmp_path / ("2023-10" if n < 30 else "2023-11")
        folder.mkdir(exist_ok=True)
        (folder / f"story-{n:03d}.txt").write_text(f"{headline} {n}\n{rest}", encoding="utf-8")
    (tmp_path / "2023-11" / "broken.txt").write_text("no dateline here\n", encoding="utf-8")
    make_section("ar", "world", "دولي")
    return tmp_path


def run(archive, capsys, *extra):
    call_command("import_wire", "--archive", str(archive), "--year", "2023", "--publish", *extra)
    return capsys.readouterr()


def test_it_imports_an_archive_with_audit_and_search(archive, capsys):
    out = run(archive, capsys, "--batch", "25")
    assert "60 stories imported, 0 already there, 1 files failed." in out.out
    assert "broken.txt" in out.err
    stories = Article.objects.all()
    assert stories.count() == 60
    assert set(stories.values_list("status", flat=True)) == {Status.PUBLISHED}
    assert stories.filter(source_id__startswith="wire:").count() == 60
    # The dateline's day, not the import's: an archive takes its place in the past.
    assert {a.published_at.date().isoformat() for a in stories} == {"2023-10-26"}
    entries = AuditEntry.objects.filter(actor="system:command-line")
    assert entries.filter(action="create").count() == 60
    assert entries.filter(action="publish", to_status=Status.PUBLISHED).count() == 60
    assert get_backend().search("باقري", lang="ar", per_page=100).total == 60


def test_it_resumes_an_interrupted_import_without_duplicates(archive, capsys, monkeypatch):
    real = wire_import._store_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a crash
        return real(*args, **kwargs)

    monkeypatch.setattr(wire_import, "_store_batch", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run(archive, capsys, "--batch", "20")
    assert Article.objects.count() == 20  # the first batch was committed
    monkeypatch.setattr(wire_import, "_store_batch", real)
    out = run(archive, capsys, "--batch", "20")
    assert "40 stories imported, 20 already there" in out.out
    assert Article.objects.count() == 60
    assert Article.objects.values("source_id").distinct().count() == 60
    assert get_backend().search("باقري", lang="ar", per_page=100).total == 60


def test_it_is_quiet_in_scripts(archive, capsys):
    # No terminal: no progress bar, only the summary.
    out = run(archive, capsys)
    assert out.out.strip().splitlines() == ["60 stories imported, 0 already there, 1 files failed."]
    assert "story/s" not in out.err and "%" not in out.err


def test_it_reads_an_archive_one_file_at_a_time(archive):
    files = wire_import.archive_files([archive])
    assert not isinstance(files, list)
    names = [path.name for path in files]
    assert names[0] == "story-000.txt" and len(names) == 61
