import datetime
from pathlib import Path

import pytest

from khabar.wire.parse import Dateline, WireStory, parse_wire
from khabar.wire.render import render_dateline, render_wire

DATA = Path(__file__).parent / "data" / "wire"
NOW = datetime.date(2024, 1, 5)

MOSCOW_AR = Dateline("موسكو", 26, 10, 2023, "ارنا", "موسكو / 26 تشرين الاول /اكتوبر/ارنا-")
MOSCOW_EN = Dateline("MOSCOW", 26, 10, 2023, "IRNA", "MOSCOW, Oct. 26 (IRNA) -")
TEHRAN_FA = Dateline("تهران", 26, 10, 2023, "ایرنا", "تهران- ایرنا-")


def comparable(story: WireStory) -> tuple[object, ...]:
    d = story.dateline
    return (story.headline, d.city, d.day, d.month, d.agency, story.body, story.signoff, story.lang)


@pytest.mark.parametrize(
    ("dateline", "lang", "month_style", "digits", "expected"),
    [
        (MOSCOW_AR, "ar", "both", None, "موسكو / 26 تشرين الأول /أكتوبر/ارنا-"),
        (MOSCOW_AR, "ar", "levantine", None, "موسكو / 26 تشرين الأول/ارنا-"),
        (MOSCOW_AR, "ar", "gregorian", None, "موسكو / 26 أكتوبر/ارنا-"),
        (MOSCOW_AR, "ar", "both", "arabic", "موسكو / ٢٦ تشرين الأول /أكتوبر/ارنا-"),
        (MOSCOW_AR, "ar", "gregorian", "persian", "موسكو / ۲۶ أكتوبر/ارنا-"),
        (MOSCOW_EN, "en", "both", None, "MOSCOW, Oct. 26 (IRNA) -"),
        (
            Dateline("NEW YORK", 5, 9, 2023, "IRNA", ""),
            "en",
            "both",
            None,
            "NEW YORK, Sept. 5 (IRNA) -",
        ),
        (Dateline("KABUL", 1, 6, 2023, "IRNA", ""), "en", "both", None, "KABUL, June 1 (IRNA) -"),
        (TEHRAN_FA, "fa", "both", None, "تهران- ایرنا-"),
        # A source that named no place (Reuters' "Jan 30 (Reuters) -"): the date alone, never
        # a dash standing for the city.
        (Dateline("—", 30, 1, 2017, "Reuters", ""), "en", "both", None, "Jan. 30 (Reuters) -"),
        (
            Dateline("—", 26, 10, 2023, "ارنا", ""),
            "ar",
            "both",
            None,
            "26 تشرين الأول /أكتوبر/ارنا-",
        ),
        (Dateline("—", 26, 10, 2023, "ایرنا", ""), "fa", "both", None, "ایرنا-"),
    ],
)
def test_it_renders_datelines(dateline, lang, month_style, digits, expected):
    assert render_dateline(dateline, lang=lang, month_style=month_style, digits=digits) == expected


def test_it_renders_the_sample_in_canonical_form():
    story = parse_wire((DATA / "wire-ar-moscow-2342.txt").read_bytes(), now=NOW)

    text = render_wire(story)

    head, dateline_paragraph, *_rest = text.split("\n\n")
    assert head == story.headline
    assert dateline_paragraph == "موسكو / 26 تشرين الأول /أكتوبر/ارنا- " + story.body[0]
    assert text.endswith(story.body[-1] + "\n\nانتهى ** 2342\n")
    assert "تعليقك" not in text


@pytest.mark.parametrize(
    ("story", "kwargs", "expected"),
    [
        (
            WireStory("عنوان", MOSCOW_AR, ["نص\nسطر ثان", "فقرة"], ["2342", "1483"]),
            {},
            "عنوان\n\nموسكو / 26 تشرين الأول /أكتوبر/ارنا- نص\nسطر ثان\n\nفقرة\n\n"
            "انتهى ** 2342 ** 1483\n",
        ),
        (
            WireStory("عنوان", MOSCOW_AR, ["نص"], ["2342"]),
            {"month_style": "levantine", "digits": "arabic"},
            "عنوان\n\nموسكو / ٢٦ تشرين الأول/ارنا- نص\n\nانتهى ** ٢٣٤٢\n",
        ),
        (
            WireStory("تیتر", TEHRAN_FA, ["متن"], ["2342"], lang="fa"),
            {},
            "تیتر\n\nتهران- ایرنا- متن\n\nپایان ** ۲۳۴۲\n",
        ),
        (
            WireStory("Title", MOSCOW_EN, ["Text."], ["2342"], lang="en"),
            {},
            "Title\n\nMOSCOW, Oct. 26 (IRNA) - Text.\n\nEND ** 2342\n",
        ),
    ],
)
def test_it_renders_wires(story, kwargs, expected):
    assert render_wire(story, **kwargs) == expected


ROUND_TRIP_WIRES = [
    "wire-ar-moscow-2342.txt",
    "wire-ar-beirut-bom-crlf.txt",
    "wire-fa-tehran.txt",
    "wire-en-moscow.txt",
]


@pytest.mark.parametrize("name", ROUND_TRIP_WIRES)
@pytest.mark.parametrize("month_style", ["both", "levantine", "gregorian"])
@pytest.mark.parametrize("digits", [None, "western", "arabic", "persian"])
def test_it_round_trips_the_fixtures(name, month_style, digits):
    story = parse_wire((DATA / name).read_bytes(), now=NOW)

    again = parse_wire(render_wire(story, month_style=month_style, digits=digits), now=NOW)

    assert comparable(again) == comparable(story)
    assert again.date == story.date


@pytest.mark.parametrize(
    ("wire", "now"),
    [
        ("عنوان\n\nبغداد / 29 شباط/ ارنا - نص.\n\nانتهى ** 7\n", NOW),
        (
            "عنوان\n\nدمشق / ١ كانون الثاني /يناير/ إرنا- نص.\nسطر.\n\nفقرة.\n\nانتهى ** ١ ** ٢\n",
            NOW,
        ),
        ("عنوان\n\nعمان / 9 آب /اغسطس/ارنا-   نص.\n\nانتهى\n** 5\n", NOW),
        ("عنوان\r\n\r\nتونس / 31 ديسمبر/ارنا- نص.\r\n\r\nانتهى ** 3\r\n", NOW),
        ("تیتر\n\nمشهد - ایرنا - متن.\n\nدوم.\n\nپایان ** ۱۲\n", datetime.date(2024, 2, 29)),
        ("تیتر\n\nبندر عباس- ایرنا- متن.\n\nپایان ** 3 ** 4\n\nنظر شما\n", NOW),
        ("Title\n\nNEW YORK, September 5 (IRNA) – Text.\n\nMore.\n\nEND ** 9\n", NOW),
        ("Title\n\nBEIRUT, Feb. 29 (IRNA) - Text.\n\nEND\n** 1 ** 2\n", NOW),
    ],
)
def test_it_round_trips_own_cases(wire, now):
    story = parse_wire(wire, now=now)

    for month_style in ("both", "levantine", "gregorian"):
        again = parse_wire(render_wire(story, month_style=month_style), now=now)
        assert comparable(again) == comparable(story)
        assert again.date == story.date


@pytest.mark.parametrize(
    ("story", "message"),
    [
        (WireStory("عنوان", MOSCOW_AR, [], ["1"]), "body paragraph"),
        (WireStory("عنوان", MOSCOW_AR, ["نص"], []), "sign-off code"),
    ],
)
def test_it_refuses_to_render_an_incomplete_story(story, message):
    with pytest.raises(ValueError, match=message):
        render_wire(story)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lang": "de"}, "unknown language"),
        ({"month_style": "hijri"}, "unknown month style"),
        ({"digits": "roman"}, "unknown digit style"),
    ],
)
def test_it_rejects_unknown_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        render_dateline(MOSCOW_AR, **kwargs)
