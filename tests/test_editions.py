"""Editions: language and direction per edition, dates in each edition's zone, a new edition."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from khabar.site.editions import _editions
from khabar.test import make_article, make_section

UTC = datetime.UTC


@pytest.fixture
def editions(settings):
    """Settings whose KHABAR_EDITIONS a test may change; the edition cache follows them."""
    _editions.cache_clear()
    yield settings
    _editions.cache_clear()


def _story(lang, published_at, **fields):
    names = {"ar": "دولي", "fa": "بین‌الملل", "en": "World"}
    section = make_section(lang, "world", names.get(lang, "World"))
    return make_article(section=section, lang=lang, published_at=published_at, **fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "direction", "skip_text"),
    [("ar", "rtl", "انتقل إلى المحتوى"), ("fa", "rtl", "رفتن به محتوا"), ("en", "ltr", "Skip")],
)
def test_it_serves_each_edition_in_its_language_and_direction(client, code, direction, skip_text):
    response = client.get(f"/{code}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{code}" dir="{direction}">' in body
    assert response.headers["Content-Language"] == code
    assert skip_text in body


@pytest.mark.django_db
def test_it_answers_404_for_a_code_that_is_no_edition(client):
    assert client.get("/tr/").status_code == 404
    assert client.get("/xyz/news/1/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "before", "after"),
    [
        # 20:15 UTC is 23:45 in Tehran (+03:30); 20:45 UTC is already the next day there.
        ("ar", "25 تشرين الأول /أكتوبر 2023 23:45", "26 تشرين الأول /أكتوبر 2023 00:15"),
        ("fa", "۳ آبان ۱۴۰۲ ۲۳:۴۵", "۴ آبان ۱۴۰۲ ۰۰:۱۵"),
        ("en", "Oct. 25, 2023 23:45", "Oct. 26, 2023 00:15"),
    ],
)
def test_it_dates_stories_in_tehran_time_around_midnight(client, code, before, after):
    early = _story(code, datetime.datetime(2023, 10, 25, 20, 15, tzinfo=UTC))
    late = _story(code, datetime.datetime(2023, 10, 25, 20, 45, tzinfo=UTC))
    assert before in client.get(early.get_absolute_url()).content.decode()
    assert after in client.get(late.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_it_follows_daylight_saving_in_the_editions_zone(client, editions):
    editions.KHABAR_EDITIONS = {
        **editions.KHABAR_EDITIONS,
        "en": {**editions.KHABAR_EDITIONS["en"], "time_zone": "Europe/Berlin"},
    }
    # Berlin leaves summer time (+02:00) for winter time (+01:00) at 01:00 UTC on 29 October.
    summer = _story("en", datetime.datetime(2023, 10, 28, 22, 30, tzinfo=UTC))
    winter = _story("en", datetime.datetime(2023, 10, 29, 22, 30, tzinfo=UTC))
    assert "Oct. 29, 2023 00:30" in client.get(summer.get_absolute_url()).content.decode()
    assert "Oct. 29, 2023 23:30" in client.get(winter.get_absolute_url()).content.decode()
    # The Persian edition keeps Tehran time: the same instant is 02:00 on 7 Aban.
    fa = _story("fa", datetime.datetime(2023, 10, 28, 22, 30, tzinfo=UTC))
    assert "۷ آبان ۱۴۰۲ ۰۲:۰۰" in client.get(fa.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_it_writes_arabic_indic_digits_and_one_month_name_when_configured(client, editions):
    editions.KHABAR_EDITIONS = {
        **editions.KHABAR_EDITIONS,
        "ar": {**editions.KHABAR_EDITIONS["ar"], "digits": "arabic", "month_style": "levantine"},
    }
    story = _story("ar", datetime.datetime(2023, 10, 26, 9, 0, tzinfo=UTC))
    body = client.get(story.get_absolute_url()).content.decode()
    assert "٢٦ تشرين الأول ٢٠٢٣" in body
    assert "موسكو / ٢٦ تشرين الأول/ارنا-" in body
    assert "أكتوبر" not in body.split('class="body"', 1)[1].split("</div>", 1)[0]


@pytest.mark.django_db
def test_it_writes_each_editions_dateline_and_end_marker(client):
    ar = _story("ar", None)
    fa = _story("fa", None, dateline_city="تهران", dateline_agency="ایرنا", signoff="1234")
    en = _story("en", None, dateline_city="MOSCOW", dateline_agency="IRNA", signoff="1234")
    assert (
        "موسكو / 26 تشرين الأول /أكتوبر/ارنا-" in client.get(ar.get_absolute_url()).content.decode()
    )
    fa_body = client.get(fa.get_absolute_url()).content.decode()
    assert "تهران- ایرنا-" in fa_body and "پایان ** 1234" in fa_body
    en_body = client.get(en.get_absolute_url()).content.decode()
    assert "MOSCOW, Oct. 26 (IRNA) -" in en_body and "END ** 1234" in en_body


TURKISH = {
    "name": "Türkçe",
    "site_name": "Haber",
    "direction": "ltr",
    "time_zone": "Europe/Istanbul",
    "digits": "western",
    "month_style": "gregorian",
    "agency": "IRNA",
}


@pytest.mark.django_db
def test_it_serves_a_fourth_edition_added_in_settings(client, editions):
    editions.KHABAR_EDITIONS = {**editions.KHABAR_EDITIONS, "tr": TURKISH}
    editions.LANGUAGES = [*editions.LANGUAGES, ("tr", "Türkçe")]
    section = make_section("tr", "dunya", "Dünya")
    story = make_article(
        section=section,
        lang="tr",
        headline="Bakanlar Moskova'da görüştü",
        dateline_city="MOSKOVA",
        dateline_agency="IRNA",
        published_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    home = client.get("/tr/")
    assert home.status_code == 200
    body = home.content.decode()
    assert '<html lang="tr" dir="ltr">' in body
    assert "Bakanlar Moskova&#x27;da görüştü" in body
    page = client.get(story.get_absolute_url()).content.decode()
    assert "MOSKOVA, Oct. 26 (IRNA) -" in page
    assert client.get("/tr/section/dunya/").status_code == 200
    assert client.get("/tr/feed/rss.xml").status_code == 200
    # The other editions link to it, under its own name.
    assert 'href="/tr/"' in client.get("/ar/").content.decode()
    assert "Türkçe" in client.get("/ar/").content.decode()


def test_it_adds_an_edition_from_the_environment():
    script = (
        "import django; django.setup();"
        "from django.conf import settings; from django.urls import resolve;"
        "print(dict(settings.LANGUAGES)['ur'], resolve('/ur/').kwargs['edition'])"
    )
    extra = '{"ur": {"name": "اردو", "direction": "rtl", "time_zone": "Asia/Karachi"}}'
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "khabar.test_settings",
        "KHABAR_EDITIONS_EXTRA": extra,
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["اردو", "ur"]


def test_it_refuses_a_malformed_extra_edition():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "khabar.test_settings",
        "KHABAR_EDITIONS_EXTRA": '["tr"]',
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "KHABAR_EDITIONS_EXTRA" in done.stderr
