"""Translation catalogues: complete for every edition, Arabic plurals, translated pages."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from khabar.test import make_article, make_section

KHABAR = Path(__file__).resolve().parent.parent / "khabar"
# Every edition needs its catalogues: a fourth one added in settings is checked too.
LANGS = tuple(settings.KHABAR_EDITIONS)
NPLURALS = {"ar": 6, "fa": 2, "en": 2}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The personas' passwords are hashed once each; a slow hasher proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _catalogue_dirs() -> list[Path]:
    """The project's locale folder and every app's, found on disk (a new app is included)."""
    return [KHABAR / "locale", *sorted(p for p in KHABAR.glob("*/locale") if p.is_dir())]


def _catalogues() -> list[tuple[str, Path]]:
    return [
        (lang, folder / lang / "LC_MESSAGES" / "django.po")
        for folder in _catalogue_dirs()
        for lang in LANGS
    ]


def _unfinished(po: polib.POFile, lang: str) -> list[str]:
    problems = []
    header = po.metadata.get("Plural-Forms", "nplurals=2;")
    nplurals = NPLURALS.get(lang) or int(header.split("nplurals=")[1].split(";")[0])
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
            if len(entry.msgstr_plural) != nplurals or not all(forms):
                problems.append(f"plural forms missing: {entry.msgid!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


@pytest.mark.parametrize(
    ("lang", "path"),
    _catalogues(),
    ids=lambda v: str(v.relative_to(KHABAR)) if isinstance(v, Path) else v,
)
def test_it_has_every_string_translated(lang, path):
    assert path.exists(), f"missing catalogue {path.relative_to(KHABAR)}"
    po = polib.pofile(str(path))
    assert po.metadata.get("Language") == lang
    assert not po.metadata_is_fuzzy
    assert len(po) > 0
    assert _unfinished(po, lang) == []


@pytest.mark.parametrize("path", [p for lang, p in _catalogues() if lang == "ar"])
def test_it_declares_six_arabic_plural_forms(path):
    header = polib.pofile(str(path)).metadata["Plural-Forms"]
    assert header.startswith("nplurals=6;")
    assert "n%100>=3 && n%100<=10 ? 3" in header


def test_it_picks_each_arabic_plural_form():
    with translation.override("ar"):
        found = {
            n: translation.ngettext("%(n)s story found", "%(n)s stories found", n) % {"n": n}
            for n in (0, 1, 2, 3, 10, 11, 99, 100, 102)
        }
    assert found[0] == "لم يُعثر على أي خبر"
    assert found[1] == "عُثر على خبر واحد"
    assert found[2] == "عُثر على خبرين"
    assert found[3] == "عُثر على 3 أخبار" and found[10] == "عُثر على 10 أخبار"
    assert found[11] == "عُثر على 11 خبرًا" and found[99] == "عُثر على 99 خبرًا"
    assert found[100] == "عُثر على 100 خبر" and found[102] == "عُثر على 102 خبر"


def test_it_picks_persian_plural_forms():
    with translation.override("fa"):
        text = translation.ngettext("%(n)s story found", "%(n)s stories found", 5)
    assert text == "%(n)s خبر پیدا شد"


def test_it_finds_no_string_missing_from_the_catalogues(tmp_path):
    """makemessages, run on a copy of the tree, adds no msgid that lacks a translation."""
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is not installed (make system-deps)")
    copy = tmp_path / "khabar"
    shutil.copytree(
        KHABAR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "static", "data", "*.mo", "migrations"),
    )
    apps = sorted(p.parent.name for p in copy.glob("*/locale"))
    runs = [(copy, [f"{app}/*" for app in apps])]
    runs += [(copy / app, []) for app in apps]
    for cwd, ignores in runs:
        # makemessages walks the current directory; in-process saves a Django start per run.
        with contextlib.chdir(cwd):
            call_command(
                "makemessages",
                locale=["ar"],
                no_location=True,
                ignore_patterns=ignores,
                verbosity=0,
            )
    missing = []
    for folder in [copy / "locale", *(copy / app / "locale" for app in apps)]:
        po = polib.pofile(str(folder / "ar" / "LC_MESSAGES" / "django.po"))
        missing += [f"{folder.relative_to(copy)}: {p}" for p in _unfinished(po, "ar")]
    assert missing == [], "run makemessages and translate: " + "; ".join(missing)


def test_it_says_page_not_found_in_each_edition(client, db):
    expected = {"ar": "الصفحة غير موجودة", "fa": "صفحه پیدا نشد", "en": "Page not found"}
    for code, text in expected.items():
        response = client.get(f"/{code}/no-such-page/")
        assert response.status_code == 404
        body = response.content.decode()
        assert text in body
        assert f'<html lang="{code}"' in body


def test_it_shows_the_desk_in_arabic(client, people):
    client.force_login(people["editor"])
    response = client.get("/desk/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "مكتب التحرير في خبر" in body
    assert 'lang="ar"' in body and 'dir="rtl"' in body


def test_it_shows_the_desk_in_persian_when_chosen(client, people):
    client.force_login(people["editor"])
    client.cookies["django_language"] = "fa"
    body = client.get("/desk/").content.decode()
    assert "میز تحریریهٔ خبر" in body


def test_it_shows_persian_ui_strings_on_a_persian_page(client, db):
    section = make_section("fa", "world", "بین‌الملل")
    story = make_article(section=section, lang="fa", headline="دیدار وزیران", dateline_city="تهران")
    body = client.get(story.get_absolute_url()).content.decode()
    assert "جست‌وجو در خبرها" in body
    assert "رفتن به محتوا" in body
    assert "ابحث" not in body and "Search the news" not in body


def test_it_shows_english_ui_strings_on_an_english_page(client, db):
    body = client.get("/en/").content.decode()
    assert "Search the news" in body
    assert "ابحث" not in body


def test_it_lets_the_desk_switch_language(client, people):
    client.force_login(people["editor"])
    index = client.get("/desk/").content.decode()
    assert 'name="language" value="fa"' in index and 'name="language" value="en"' in index
    assert 'name="language" value="ar"' not in index
    response = client.post("/i18n/setlang/", {"language": "fa", "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    body = client.get("/desk/").content.decode()
    assert "میز تحریریهٔ خبر" in body and 'dir="rtl"' in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/desk/"})
    body = client.get("/desk/").content.decode()
    assert "Khabar editorial desk" in body and 'dir="ltr"' in body
    # Reader pages follow their URL, not the desk's choice.
    assert '<html lang="ar" dir="rtl">' in client.get("/ar/").content.decode()
