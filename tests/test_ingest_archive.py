"""`khabar ingest --archive` (issue 19): another agency's archive in any format ingest reads,
through the wire import's bulk path. Tried on documents nobody here wrote (the real
Superdesk fixtures and the agency-style documents of tests/data/agencies, see its README,
and the wire samples): the rows are those the one-by-one path writes, a rerun resumes without
duplicates, and what an archive cannot take is named by its file and left as it was."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from khabar.articles.models import Article, Status
from khabar.search.backends import get_backend
from khabar.site import actors
from khabar.syndication.archive import ingest_archive
from khabar.syndication.ingest import ingest_bytes
from khabar.syndication.models import IngestRecord
from khabar.test import make_section
from tests.test_archive_import_speed import forget_everything, snapshot

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
AGENCIES = DATA / "agencies"
#: Stories an archive takes: English from several agencies and formats (NITF, NewsML 1.2,
#: NewsML-G2, ninjs, ANPA), tags and summaries among them, and wire text in the three
#: editions.
TAKEN = [
    AGENCIES / "real/superdesk-ap-anpa-1.tst",
    AGENCIES / "real/superdesk-ap-nitf.xml",
    AGENCIES / "real/superdesk-efe-nitf.xml",
    AGENCIES / "real/superdesk-pa-nitf.xml",
    AGENCIES / "real/superdesk-reuters-g2-L4N1FL0N0.xml",
    AGENCIES / "addb-ninjs30-nitf.json",
    AGENCIES / "afp-style-newsml12.xml",
    AGENCIES / "ap-style-media-api-item.json",
    AGENCIES / "reuters-style-g2-icls-text.xml",
    DATA / "wire/wire-ar-moscow-2342.txt",
    DATA / "wire/wire-fa-tehran.txt",
    DATA / "wire/wire-en-moscow.txt",
]


@pytest.fixture
def sections(db):
    return [make_section("ar", "world", "دولي"), make_section("fa"), make_section("en")]


def archive_of(folder: Path, paths: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(paths):
        shutil.copy(path, folder / f"{n:03d}-{path.name}")
    return folder


def with_tags_and_records() -> dict[str, dict[str, object]]:
    rows = snapshot()
    for article in Article.objects.all():
        rows[article.source_id]["tags"] = sorted(article.tags.values_list("lang", "slug", "name"))
        rows[article.source_id]["section"] = article.section.slug
        rows[article.source_id]["records"] = list(
            IngestRecord.objects.filter(article=article).values_list(
                "origin",
                "source_id",
                "source_version",
                "format",
                "schema_valid",
                "schema_errors",
                "desk_note",
                "pub_status",
                "subheadline",
                "genre",
                "priority",
                "outcome",
            )
        )
    return rows


@pytest.mark.parametrize("publish", [True, False], ids=["published", "submitted"])
def test_it_writes_the_rows_ingest_writes_one_document_at_a_time(
    publish, sections, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for path in TAKEN:
            ingest_bytes(path.read_bytes(), actor=actors.COMMAND_LINE, publish=publish)
    one_by_one = with_tags_and_records()
    assert len(one_by_one) == len(TAKEN)
    forget_everything()
    IngestRecord.objects.all().delete()

    result = ingest_archive(
        [archive_of(tmp_path / "archive", TAKEN)],
        actor=actors.COMMAND_LINE,
        publish=publish,
        batch_size=5,
    )
    assert (result.created, result.skipped, result.failed) == (len(TAKEN), 0, [])
    bulk = with_tags_and_records()
    assert bulk.keys() == one_by_one.keys()
    for key in bulk:
        for part in one_by_one[key]:
            assert bulk[key][part] == one_by_one[key][part], (key, part)
    # And what readers and the desk see of them: the archive's stories found by search.
    if publish:
        found = get_backend().search("gold safe haven", lang="en").ids
        assert [Article.objects.get(pk=pk).headline for pk in found] == [
            "PRECIOUS-Gold rises as Trump policy fuels safe haven demand"
        ]
        assert Article.objects.filter(status=Status.PUBLISHED).count() == len(TAKEN)


def test_a_rerun_resumes_without_duplicates(sections, tmp_path):
    folder = archive_of(tmp_path / "archive", TAKEN)
    first = ingest_archive([folder], actor=actors.COMMAND_LINE, publish=True, batch_size=4)
    assert first.created == len(TAKEN)
    again = ingest_archive([folder], actor=actors.COMMAND_LINE, publish=True, batch_size=4)
    assert (again.created, again.skipped, again.failed) == (0, len(TAKEN), [])
    assert Article.objects.count() == len(TAKEN)
    assert IngestRecord.objects.count() == len(TAKEN)


def test_what_an_archive_cannot_take_is_named_and_the_rest_of_its_batch_stored(sections, tmp_path):
    folder = archive_of(
        tmp_path / "archive",
        [
            AGENCIES / "real/superdesk-ap-nitf.xml",
            AGENCIES / "reuters-style-g2-cancel.xml",  # a kill
            AGENCIES / "tt-ninjs30-text-image.json",  # Swedish, with a picture
            AGENCIES / "real/superdesk-bbc-ninjs-text.json",  # an advisory, not a story
            AGENCIES / "real/superdesk-pa-nitf.xml",
        ],
    )
    (folder / "009-broken.xml").write_text("<?xml version='1.0'?><nitf><body>", "utf-8")
    result = ingest_archive([folder], actor=actors.COMMAND_LINE, publish=True, batch_size=10)
    assert result.created == 2
    failed = "\n".join(result.failed)
    assert len(result.failed) == 4, failed
    assert f"{folder}/001-reuters-style-g2-cancel.xml: story " in failed
    assert "a kill; ingest this file without --archive" in failed
    assert f"{folder}/002-tt-ninjs30-text-image.json: story " in failed
    assert "in a language with no edition (sv)" in failed
    assert f"{folder}/003-superdesk-bbc-ninjs-text.json: an item of type advisory" in failed
    assert f"{folder}/009-broken.xml: " in failed
    # The files are left where they were, for the one-by-one path.
    assert len(list(folder.iterdir())) == 6


def test_a_newer_version_of_a_stored_story_is_left_for_the_desks_rules(sections, tmp_path):
    ap = AGENCIES / "ap-style-nitf.xml"
    ingest_archive([archive_of(tmp_path / "one", [ap])], actor=actors.COMMAND_LINE, publish=True)
    story = Article.objects.get()
    newer = tmp_path / "newer.xml"
    newer.write_bytes(
        ap.read_bytes()
        .replace(b'version="2"', b'version="3"')
        .replace(b"winter storm", b"winter storms")
    )
    assert b'version="3"' in newer.read_bytes()
    result = ingest_archive([newer], actor=actors.COMMAND_LINE, publish=True)
    assert result.created == 0
    [problem] = result.failed
    assert f"{newer}: story ap-example-7f3c2a: version 3 of a stored story (version 2)" in problem
    story.refresh_from_db()
    assert story.source_version == 2


def test_the_command_reports_counts_and_refuses_what_it_cannot_read(sections, tmp_path, capsys):
    folder = archive_of(tmp_path / "archive", TAKEN[:4])
    call_command("ingest", "--archive", "--publish", "--no-progress", str(folder))
    assert "4 stories ingested, 0 already there, 0 not ingested." in capsys.readouterr().out
    (folder / "zz-kill.xml").write_bytes((AGENCIES / "reuters-style-g2-cancel.xml").read_bytes())
    with pytest.raises(CommandError, match="1 document"):
        call_command("ingest", "--archive", "--publish", "--no-progress", str(folder))
    captured = capsys.readouterr()
    assert "0 stories ingested, 4 already there, 1 not ingested." in captured.out
    assert f"{folder}/zz-kill.xml: story " in captured.err
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("ingest", "--archive", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="not URLs"):
        call_command("ingest", "--archive", "https://example.com/feed.xml")


def test_the_vectors_the_reader_makes_hold_the_summary(sections):
    """Stories from other formats have summaries (wire text has none): the PostgreSQL
    vectors the archive's reader makes are those the backend makes of the whole text."""
    from khabar.articles import wire_import
    from khabar.search.backends import postgres
    from khabar.search.documents import SearchDocument, document_for

    story = ingest_bytes(
        (DATA / "wire/wire-ar-moscow-2342.txt").read_bytes(), actor=actors.COMMAND_LINE
    )[0].article
    fields = {
        "lang": "ar",
        "headline": story.headline,
        "summary": "مباحثات هاتفية بين وزيري الخارجية حول غزة",
        "body": story.body,
        "dateline_city": story.dateline_city,
        "dateline_date": story.dateline_date,
    }
    item = wire_import.ReadFile(Path("doc.json"), key="urn:test:1", fields=fields)
    template = wire_import._Template(
        origin="", user_id=None, publish=True, status=Status.PUBLISHED, signoff="", vectors=True
    )
    [item] = wire_import.analyse_files([item], template)
    assert item.problem == "" and item.article is not None
    article = item.article
    article.id, article.section_id = 1, 1
    made = document_for(article)
    assert made.vectors_apply() and made.vectors is not None
    afresh = SearchDocument(
        id=1,
        lang="ar",
        section_id=1,
        published_at=article.published_at,
        headline=article.headline,
        summary=fields["summary"],
        body=article.body,
    )
    assert made.vectors == postgres._vectors(afresh.fields)
    # The head (headline and summary, weights A and B) holds the summary's words.
    assert "'غزه':17B" in made.vectors[0]
