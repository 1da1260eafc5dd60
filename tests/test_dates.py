import datetime
from zoneinfo import ZoneInfo

import pytest

from khabar.lib.dates import (
    ENGLISH_MONTH_ABBR,
    GREGORIAN_AR_MONTHS,
    LEVANTINE_MONTHS,
    PERSIAN_MONTHS,
    format_date,
    format_dateline_date,
    max_day,
    month_from_name,
    resolve_year,
    solar_hijri_month_from_name,
)
from khabar.lib.digits import localize_digits, to_arabic_indic, to_persian, to_western

UTC = datetime.UTC
TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")
OCT_26 = datetime.date(2023, 10, 26)


@pytest.mark.parametrize(
    ("name", "month"),
    [
        *[(name, month) for month, name in enumerate(LEVANTINE_MONTHS, 1)],
        *[(name, month) for month, name in enumerate(GREGORIAN_AR_MONTHS, 1)],
        *[(name, month) for month, name in enumerate(ENGLISH_MONTH_ABBR, 1)],
        ("تشرين الاول", 10),
        ("تشرين  الأوّل", 10),
        ("تشرین الاول", 10),
        ("تشرين أول", 10),
        ("كانون ثاني", 1),
        ("اكتوبر", 10),
        ("اکتوبر", 10),
        ("أكتوبـــر", 10),
        ("ابريل", 4),
        ("إبريل", 4),
        ("اغسطس", 8),
        ("اذار", 3),
        ("ايار", 5),
        ("ايلول", 9),
        ("اب", 8),
        ("يونيه", 6),
        ("يوليه", 7),
        ("\u200fنوفمبر ", 11),
        ("October", 10),
        ("oct", 10),
        ("OCT.", 10),
        ("Sept", 9),
        ("Sep.", 9),
        ("september", 9),
        ("برومير", None),
        ("آبان", None),
        ("", None),
        ("Octobre", None),
    ],
)
def test_it_finds_the_month_from_any_spelling(name, month):
    assert month_from_name(name) == month


@pytest.mark.parametrize(
    ("name", "month"),
    [
        *[(name, month) for month, name in enumerate(PERSIAN_MONTHS, 1)],
        ("اردي بهشت", None),
        ("اردیبهشت", 2),
        ("ارديبهشت", 2),
        ("آذر", 9),
        ("اذر", 9),
        ("آذار", None),
    ],
)
def test_it_finds_solar_hijri_months(name, month):
    assert solar_hijri_month_from_name(name) == month


@pytest.mark.parametrize(
    ("lang", "month_style", "digits", "expected"),
    [
        ("ar", "both", None, "26 تشرين الأول /أكتوبر"),
        ("ar", "levantine", None, "26 تشرين الأول"),
        ("ar", "gregorian", None, "26 أكتوبر"),
        ("ar", "both", "arabic", "٢٦ تشرين الأول /أكتوبر"),
        ("ar", "both", "western", "26 تشرين الأول /أكتوبر"),
        ("fa", "both", None, "۴ آبان"),
        ("fa", "both", "western", "4 آبان"),
        ("en", "both", None, "Oct. 26"),
        ("en", "gregorian", None, "Oct. 26"),
    ],
)
def test_it_formats_dateline_dates(lang, month_style, digits, expected):
    assert format_dateline_date(OCT_26, lang=lang, month_style=month_style, digits=digits) == (
        expected
    )


@pytest.mark.parametrize(
    ("d", "kwargs", "expected"),
    [
        (OCT_26, {"lang": "ar"}, "26 تشرين الأول /أكتوبر 2023"),
        (OCT_26, {"lang": "ar", "month_style": "gregorian"}, "26 أكتوبر 2023"),
        (OCT_26, {"lang": "ar", "with_year": False}, "26 تشرين الأول /أكتوبر"),
        (OCT_26, {"lang": "ar", "digits": "arabic"}, "٢٦ تشرين الأول /أكتوبر ٢٠٢٣"),
        (OCT_26, {"lang": "fa"}, "۴ آبان ۱۴۰۲"),
        (OCT_26, {"lang": "fa", "with_year": False}, "۴ آبان"),
        (datetime.date(2024, 3, 20), {"lang": "fa"}, "۱ فروردین ۱۴۰۳"),
        (datetime.date(2024, 3, 19), {"lang": "fa"}, "۲۹ اسفند ۱۴۰۲"),
        (OCT_26, {"lang": "en"}, "Oct. 26, 2023"),
        (datetime.date(2023, 6, 1), {"lang": "en"}, "June 1, 2023"),
        (datetime.date(2023, 9, 5), {"lang": "en", "with_year": False}, "Sept. 5"),
        (
            datetime.datetime(2023, 10, 26, 14, 5),
            {"lang": "ar", "with_time": True},
            "26 تشرين الأول /أكتوبر 2023 14:05",
        ),
        (datetime.datetime(2023, 10, 26, 14, 5), {"lang": "ar"}, "26 تشرين الأول /أكتوبر 2023"),
        # 21:00 UTC is half past midnight, the next day, in Tehran (+03:30).
        (
            datetime.datetime(2023, 10, 25, 21, 0, tzinfo=UTC),
            {"lang": "ar", "tz": TEHRAN, "with_time": True},
            "26 تشرين الأول /أكتوبر 2023 00:30",
        ),
        (
            datetime.datetime(2023, 10, 25, 20, 29, tzinfo=UTC),
            {"lang": "ar", "tz": TEHRAN, "with_time": True},
            "25 تشرين الأول /أكتوبر 2023 23:59",
        ),
        (
            datetime.datetime(2023, 10, 25, 21, 0, tzinfo=UTC),
            {"lang": "fa", "tz": TEHRAN, "with_time": True},
            "۴ آبان ۱۴۰۲ ۰۰:۳۰",
        ),
        (
            datetime.datetime(2023, 10, 25, 21, 0, tzinfo=UTC),
            {"lang": "en", "tz": TEHRAN, "with_time": True},
            "Oct. 26, 2023 00:30",
        ),
        (
            datetime.datetime(2023, 10, 25, 21, 0, tzinfo=UTC),
            {"lang": "en", "with_time": True},
            "Oct. 25, 2023 21:00",
        ),
        # Berlin leaves summer time at 01:00 UTC on 29 October 2023: 03:00 CEST becomes 02:00 CET.
        (
            datetime.datetime(2023, 10, 29, 0, 30, tzinfo=UTC),
            {"lang": "en", "tz": BERLIN, "with_time": True},
            "Oct. 29, 2023 02:30",
        ),
        (
            datetime.datetime(2023, 10, 29, 1, 30, tzinfo=UTC),
            {"lang": "en", "tz": BERLIN, "with_time": True},
            "Oct. 29, 2023 02:30",
        ),
        (
            datetime.datetime(2023, 10, 28, 22, 30, tzinfo=UTC),
            {"lang": "ar", "tz": BERLIN, "with_time": True},
            "29 تشرين الأول /أكتوبر 2023 00:30",
        ),
        (
            datetime.datetime(2023, 10, 29, 22, 30, tzinfo=UTC),
            {"lang": "ar", "tz": BERLIN, "with_time": True},
            "29 تشرين الأول /أكتوبر 2023 23:30",
        ),
        (
            datetime.datetime(2023, 10, 29, 23, 30, tzinfo=UTC),
            {"lang": "ar", "tz": BERLIN, "with_time": True},
            "30 تشرين الأول /أكتوبر 2023 00:30",
        ),
    ],
)
def test_it_formats_dates_for_reader_pages(d, kwargs, expected):
    assert format_date(d, **kwargs) == expected


@pytest.mark.parametrize(
    ("d", "kwargs", "message"),
    [
        (datetime.datetime(2023, 10, 26, 14, 5), {"tz": TEHRAN}, "naive datetime"),
        (OCT_26, {"with_time": True}, "with_time needs a datetime"),
        (OCT_26, {"lang": "de"}, "unknown language"),
        (OCT_26, {"month_style": "hijri"}, "unknown month style"),
        (OCT_26, {"digits": "roman"}, "unknown digit style"),
    ],
)
def test_it_rejects_bad_format_options(d, kwargs, message):
    with pytest.raises(ValueError, match=message):
        format_date(d, **{"lang": "ar", **kwargs})


@pytest.mark.parametrize(
    ("day", "month", "today", "year"),
    [
        (26, 10, datetime.date(2023, 10, 26), 2023),
        (26, 10, datetime.date(2023, 10, 25), 2022),
        (31, 12, datetime.date(2024, 1, 1), 2023),
        (1, 1, datetime.date(2024, 1, 1), 2024),
        (29, 2, datetime.date(2024, 2, 29), 2024),
        (29, 2, datetime.date(2024, 2, 28), 2020),
        (29, 2, datetime.date(2023, 10, 26), 2020),
        (29, 2, datetime.date(2103, 1, 1), 2096),
    ],
)
def test_it_resolves_the_most_recent_year(day, month, today, year):
    assert resolve_year(day, month, today=today) == year


@pytest.mark.parametrize(("day", "month"), [(30, 2), (31, 4), (31, 11), (0, 1), (32, 1)])
def test_it_refuses_days_no_year_has(day, month):
    with pytest.raises(ValueError, match="not a date"):
        resolve_year(day, month, today=OCT_26)


@pytest.mark.parametrize(
    ("month", "year", "days"),
    [(2, None, 29), (2, 2024, 29), (2, 2023, 28), (2, 1900, 28), (2, 2000, 29), (4, None, 30)],
)
def test_it_knows_the_length_of_each_month(month, year, days):
    assert max_day(month, year) == days


@pytest.mark.parametrize(
    ("text", "western", "arabic", "persian"),
    [
        ("26", "26", "٢٦", "۲۶"),
        ("٢٦ تشرين", "26 تشرين", "٢٦ تشرين", "۲۶ تشرين"),
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"),
        ("1٢۳", "123", "١٢٣", "۱۲۳"),
        ("3+3 ٫ ٬", "3+3 ٫ ٬", "٣+٣ ٫ ٬", "۳+۳ ٫ ٬"),
        ("", "", "", ""),
    ],
)
def test_it_converts_digits(text, western, arabic, persian):
    assert to_western(text) == western == localize_digits(text, "western")
    assert to_arabic_indic(text) == arabic == localize_digits(text, "arabic")
    assert to_persian(text) == persian == localize_digits(text, "persian")


def test_it_rejects_an_unknown_digit_style():
    with pytest.raises(ValueError, match="unknown digit style"):
        localize_digits("1", "roman")
