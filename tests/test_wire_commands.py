"""`khabar parse_wire` and `khabar import_wire`: the wire format at the command line."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from khabar.articles.models import Article, Status
from khabar.test import make_section

DATA = Path(__file__).parent / "data" / "wire"
SAMPLE = DATA / "wire-ar-moscow-2342.txt"


def test_it_prints_the_sample_as_json_and_writes_nothing(capsys, db):
    call_command("parse_wire", str(SAMPLE), "--year", "2023")
    story = json.loads(capsys.readouterr().out)
    assert (
        story["headline"] == "مباحثات ايرانية روسية لوقف جرائم الكيان الصهيوني ضد الشعب الفلسطيني"
    )
    assert story["dateline"] == {
        "city": "موسكو",
        "day": 26,
        "month": 10,
        "year": 2023,
        "agency": "ارنا",
        "text": "موسكو / 26 تشرين الاول /اكتوبر/ارنا-",
    }
    assert story["body"][0].startswith("تباحث نائب وزير الخارجية")
    assert len(story["body"]) == 10
    assert story["body"][-1].startswith("وتم خلال هذا اللقاء بحث")
    assert story["signoff"] == ["2342"]
    assert "تعليقك" not in json.dumps(story, ensure_ascii=False)
    assert Article.objects.count() == 0


def test_it_names_the_file_and_line_of_bad_input(tmp_path, db):
    bad = tmp_path / "bad.txt"
    bad.write_text("عنوان\n\nموسكو / 31 شباط/ارنا- نص الخبر\n\nانتهى ** 1\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("parse_wire", str(bad), "--year", "2023")
    assert f"{bad}:3" in str(error.value)


def test_it_imports_once_and_recognises_the_same_story_again(db, capsys):
    make_section(slug="world", name="دولي")
    call_command("import_wire", str(SAMPLE), "--year", "2023", "--section", "world")
    call_command("import_wire", str(SAMPLE), "--year", "2023", "--section", "world")
    out = capsys.readouterr().out
    assert "created" in out and "unchanged" in out
    story = Article.objects.get()
    assert story.status == Status.SUBMITTED
    assert story.signoff == "2342"
    assert story.dateline_city == "موسكو"


def test_it_publishes_on_request(db):
    make_section()
    call_command("import_wire", str(SAMPLE), "--year", "2023", "--publish")
    assert Article.objects.published().count() == 1


def test_it_publishes_a_stored_unpublished_story_on_request(db, capsys):
    make_section()
    call_command("import_wire", str(SAMPLE), "--year", "2023")
    story = Article.objects.get()
    assert story.status == Status.SUBMITTED
    call_command("import_wire", str(SAMPLE), "--year", "2023", "--publish")
    assert "published story" in capsys.readouterr().out
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED
    assert story.audit.filter(action="publish", actor="system:command-line").exists()
    call_command("import_wire", str(SAMPLE), "--year", "2023", "--publish")
    assert "unchanged" in capsys.readouterr().out
    assert Article.objects.count() == 1


def test_it_imports_all_files_or_none(tmp_path, db):
    make_section()
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("headline\n\ncaf\xe9".encode("latin-1"))
    with pytest.raises(CommandError) as error:
        call_command("import_wire", str(SAMPLE), str(empty), str(latin1), "--year", "2023")
    message = str(error.value)
    assert "nothing imported" in message
    assert str(empty) in message and str(latin1) in message
    assert Article.objects.count() == 0


def test_it_refuses_an_unknown_section(db):
    make_section()
    with pytest.raises(CommandError, match="no section"):
        call_command("import_wire", str(SAMPLE), "--section", "nope")
    assert Article.objects.count() == 0


def test_it_runs_as_the_khabar_console_script(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "khabar.manage", "parse_wire", str(SAMPLE), "--year", "2023"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "KHABAR_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["signoff"] == ["2342"]
    missing = subprocess.run(
        [sys.executable, "-m", "khabar.manage", "parse_wire", str(tmp_path / "none.txt")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "KHABAR_VAR_DIR": str(tmp_path)},
    )
    assert missing.returncode != 0
    assert "none.txt" in missing.stderr
