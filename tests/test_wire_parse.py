import datetime
import pickle
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from khabar.wire.parse import Dateline, WireError, WireStory, parse_wire

DATA = Path(__file__).parent / "data" / "wire"
NOW = datetime.date(2024, 1, 5)
UTC = datetime.UTC
TEHRAN = ZoneInfo("Asia/Tehran")

BODY_AR = "تباحث الوزيران العلاقات الثنائية."


def ar_wire(dateline: str, *, end: str = "انتهى ** 2342", tail: str = "") -> str:
    return f"عنوان الخبر\n\n{dateline} {BODY_AR}\n\n{end}\n{tail}"


def test_it_parses_the_sample_wire():
    story = parse_wire((DATA / "wire-ar-moscow-2342.txt").read_bytes(), now=NOW)

    assert story.lang == "ar"
    assert story.headline == "مباحثات ايرانية روسية لوقف جرائم الكيان الصهيوني ضد الشعب الفلسطيني"
    assert story.dateline == Dateline(
        city="موسكو",
        day=26,
        month=10,
        year=2023,
        agency="ارنا",
        text="موسكو / 26 تشرين الاول /اكتوبر/ارنا-",
    )
    assert story.date == datetime.date(2023, 10, 26)
    assert len(story.body) == 10
    assert story.body[0].startswith("تباحث نائب وزير الخارجية الايراني")
    assert story.body[-1].endswith("والتعامل مع التهديدات المشتركة.")
    assert story.signoff == ["2342"]
    assert not any("تعليقك" in p or "replying" in p for p in story.body)


@pytest.mark.parametrize(
    ("name", "lang", "dateline", "paragraphs", "signoff"),
    [
        (
            "wire-ar-moscow-2342.txt",
            "ar",
            ("موسكو", 26, 10, 2023, "ارنا"),
            10,
            ["2342"],
        ),
        (
            "wire-ar-beirut-bom-crlf.txt",
            "ar",
            ("بيروت", 15, 2, 2023, "إرنا"),
            2,
            ["2342", "1483"],
        ),
        ("wire-fa-tehran.txt", "fa", ("تهران", 5, 1, 2024, "ایرنا"), 2, ["2342", "1483"]),
        ("wire-en-moscow.txt", "en", ("MOSCOW", 26, 10, 2023, "IRNA"), 2, ["2342"]),
    ],
)
def test_it_parses_each_edition_with_its_language_detected(
    name, lang, dateline, paragraphs, signoff
):
    data = (DATA / name).read_bytes()

    for given in (None, lang):
        story = parse_wire(data, now=NOW, lang=given)
        d = story.dateline
        assert story.lang == lang
        assert (d.city, d.day, d.month, d.year, d.agency) == dateline
        assert len(story.body) == paragraphs
        assert story.signoff == signoff


def test_it_keeps_line_breaks_inside_paragraphs_and_strips_trailing_spaces():
    story = parse_wire((DATA / "wire-ar-beirut-bom-crlf.txt").read_bytes(), now=NOW)

    assert story.body[0] == (
        "دان رئيس الحكومة اللبنانية الاعتداءات المتكررة على القرى الجنوبية،\n"
        "مؤكدا ان بلاده ستتقدم بشكوى جديدة الى مجلس الامن."
    )
    assert story.dateline.text == "بيروت / ١٥ شباط / إرنا -"


@pytest.mark.parametrize(
    ("dateline", "city", "day", "month", "agency"),
    [
        ("موسكو / 26 تشرين الاول /اكتوبر/ارنا-", "موسكو", 26, 10, "ارنا"),
        ("موسكو / 26 تشرين الأول / أكتوبر / إرنا -", "موسكو", 26, 10, "إرنا"),
        ("موسكو/26 تشرين الاول/اكتوبر/ارنا-", "موسكو", 26, 10, "ارنا"),
        ("موسكو / ٢٦ تشرين الاول /اكتوبر/ ارنا-", "موسكو", 26, 10, "ارنا"),
        ("موسكو / ۲۶ تشرین الاول /اکتوبر/ارنا-", "موسكو", 26, 10, "ارنا"),
        ("موسكو / 26 تشرين الأول/ارنا-", "موسكو", 26, 10, "ارنا"),
        ("موسكو / 26 اكتوبر /ارنا-", "موسكو", 26, 10, "ارنا"),
        ("موسكو / 26 تشرين أول /ارنا-", "موسكو", 26, 10, "ارنا"),
        ("نيويورك / 3 أيار /مايو/ ارنا -", "نيويورك", 3, 5, "ارنا"),
        ("بغداد / 1 كانون الثاني /يناير/ارنا–", "بغداد", 1, 1, "ارنا"),
        ("دمشق / 9 آب /اغسطس/ارنا-", "دمشق", 9, 8, "ارنا"),
        ("القاهرة / 4 إبريل/ارنا-", "القاهرة", 4, 4, "ارنا"),
        ("القاهرة / 4 يونيه/ارنا-", "القاهرة", 4, 6, "ارنا"),
        ("ريو دي جانيرو / 12 ايلول /سبتمبر/ارنا-", "ريو دي جانيرو", 12, 9, "ارنا"),
        ("طهران / 31 كانون الاول /ديسمبر/ارنا-", "طهران", 31, 12, "ارنا"),
    ],
)
def test_it_reads_arabic_datelines(dateline, city, day, month, agency):
    story = parse_wire(ar_wire(dateline), now=NOW)

    assert (story.dateline.city, story.dateline.day) == (city, day)
    assert (story.dateline.month, story.dateline.agency) == (month, agency)
    assert story.dateline.text == dateline
    assert story.body == [BODY_AR]


@pytest.mark.parametrize(
    ("dateline", "city", "day", "month", "agency"),
    [
        ("MOSCOW, Oct. 26 (IRNA) -", "MOSCOW", 26, 10, "IRNA"),
        ("MOSCOW, October 26 (IRNA) –", "MOSCOW", 26, 10, "IRNA"),
        ("NEW YORK, Sept. 5 (IRNA) -", "NEW YORK", 5, 9, "IRNA"),
        ("Tehran, Sept 5 (IRNA) --", "Tehran", 5, 9, "IRNA"),
        ("ST. PETERSBURG, May 9 (IRNA) —", "ST. PETERSBURG", 9, 5, "IRNA"),
        ("BEIRUT,Aug.1(IRNA)-", "BEIRUT", 1, 8, "IRNA"),
    ],
)
def test_it_reads_english_datelines(dateline, city, day, month, agency):
    wire = f"Headline here\n\n{dateline} The ministers met.\n\nEND ** 2342\n"

    story = parse_wire(wire, now=NOW, lang="en")

    assert (story.dateline.city, story.dateline.day) == (city, day)
    assert (story.dateline.month, story.dateline.agency) == (month, agency)
    assert story.body == ["The ministers met."]


@pytest.mark.parametrize(
    ("dateline", "city", "agency"),
    [
        ("تهران- ایرنا-", "تهران", "ایرنا"),
        ("تهران - ایرنا -", "تهران", "ایرنا"),
        ("تهران-ایرنا-", "تهران", "ایرنا"),
        ("بندر عباس– ايرنا–", "بندر عباس", "ايرنا"),
    ],
)
def test_it_reads_persian_datelines_dated_from_now(dateline, city, agency):
    wire = f"تیتر خبر\n\n{dateline} وزیران دیدار کردند.\n\nپایان ** ۲۳۴۲\n"

    story = parse_wire(wire, now=datetime.datetime(2023, 10, 26, 9, 0, tzinfo=TEHRAN))

    assert (story.dateline.city, story.dateline.agency) == (city, agency)
    assert story.date == datetime.date(2023, 10, 26)
    assert story.body == ["وزیران دیدار کردند."]
    assert story.signoff == ["2342"]


@pytest.mark.parametrize(
    ("when", "now", "year", "expected"),
    [
        ("26 تشرين الاول", datetime.date(2024, 1, 5), None, datetime.date(2023, 10, 26)),
        ("26 تشرين الاول", datetime.date(2023, 10, 26), None, datetime.date(2023, 10, 26)),
        ("26 تشرين الاول", datetime.date(2023, 10, 25), None, datetime.date(2022, 10, 26)),
        ("26 تشرين الاول", datetime.date(2023, 10, 25), 2023, datetime.date(2023, 10, 26)),
        ("1 كانون الثاني", datetime.date(2023, 12, 31), None, datetime.date(2023, 1, 1)),
        ("31 كانون الاول", datetime.date(2024, 1, 1), None, datetime.date(2023, 12, 31)),
        ("29 شباط", datetime.date(2023, 10, 26), None, datetime.date(2020, 2, 29)),
        ("29 شباط", datetime.date(2024, 3, 1), None, datetime.date(2024, 2, 29)),
        ("29 شباط", datetime.date(2024, 2, 28), None, datetime.date(2020, 2, 29)),
        ("29 شباط", datetime.date(2023, 1, 1), 2024, datetime.date(2024, 2, 29)),
        # Just after midnight in Tehran is still the day before in UTC.
        (
            "26 تشرين الاول",
            datetime.datetime(2023, 10, 25, 21, 0, tzinfo=UTC),
            None,
            datetime.date(2023, 10, 26),
        ),
        (
            "26 تشرين الاول",
            datetime.datetime(2023, 10, 26, 0, 30, tzinfo=TEHRAN),
            None,
            datetime.date(2023, 10, 26),
        ),
        (
            "28 تشرين الاول",
            datetime.datetime(2023, 10, 26, 0, 30, tzinfo=TEHRAN),
            None,
            datetime.date(2022, 10, 28),
        ),
        (
            "26 تشرين الاول",
            datetime.datetime(2023, 10, 26, 23, 59),
            None,
            datetime.date(2023, 10, 26),
        ),
    ],
)
def test_it_picks_the_year(when, now, year, expected):
    story = parse_wire(ar_wire(f"طهران / {when}/ارنا-"), now=now, year=year)

    assert story.date == expected


def test_it_dates_a_persian_wire_in_the_given_year():
    wire = "تیتر\n\nتهران- ایرنا- متن خبر.\n\nپایان ** 1\n"

    story = parse_wire(wire, now=datetime.date(2024, 3, 1), year=2023)

    assert story.date == datetime.date(2023, 3, 1)


def test_it_defaults_now_to_today():
    story = parse_wire(ar_wire("طهران / 1 كانون الثاني/ارنا-"))

    assert story.date <= datetime.date.today() + datetime.timedelta(days=1)
    assert story.date.year >= datetime.date.today().year - 1


@pytest.mark.parametrize(
    ("end", "tail", "signoff"),
    [
        ("انتهى ** 2342", "", ["2342"]),
        ("انتهى ** 2342 ** 1483", "", ["2342", "1483"]),
        ("انتهى **2342**1483", "", ["2342", "1483"]),
        ("انتهی ** ٢٣٤٢", "", ["2342"]),
        ("انتهى", "** 2342\n** 1483\n", ["2342", "1483"]),
        ("انتهى ** 2342", "\nتعليقك\n\nYou are replying to: .\n", ["2342"]),
        ("انتهى ** 2342", "\n\nYou are replying to: .", ["2342"]),
    ],
)
def test_it_reads_the_end_marker_and_drops_the_comment_form(end, tail, signoff):
    story = parse_wire(ar_wire("طهران / 26 تشرين الاول/ارنا-", end=end, tail=tail), now=NOW)

    assert story.signoff == signoff
    assert story.body == [BODY_AR]


def test_it_joins_a_headline_written_without_a_blank_line_before_the_dateline():
    wire = "عنوان الخبر\nطهران / 26 تشرين الاول/ارنا- نص الخبر.\n\nانتهى ** 1\n"

    story = parse_wire(wire, now=NOW)

    assert story.headline == "عنوان الخبر"
    assert story.body == ["نص الخبر."]


def test_it_takes_the_body_from_the_next_line_when_the_dateline_stands_alone():
    wire = "عنوان\n\nطهران / 26 تشرين الاول/ارنا-\nنص الخبر.\n\nفقرة ثانية.\n\nانتهى ** 1\n"

    story = parse_wire(wire, now=NOW)

    assert story.body == ["نص الخبر.", "فقرة ثانية."]


GOOD_DATELINE = "طهران / 26 تشرين الاول /اكتوبر/ارنا-"


@pytest.mark.parametrize(
    ("data", "lang", "message", "line"),
    [
        ("", None, "the wire is empty", None),
        (b"", None, "the wire is empty", None),
        (" \n\t\n\r\n", None, "the wire is empty", None),
        (b"\xef\xbb\xbf\n\n", None, "the wire is empty", None),
        ("عنوان\n\nطهران / 26 تشرين الاول/ارنا- نص.\n\n", "ar", "no end marker", None),
        ("Title\n\nMOSCOW, Oct. 26 (IRNA) - Text.\n", None, "no end marker", None),
        ("عنوان\n\nطهران / 26 تشرين الاول/ارنا- نص.\n\nانتهى\n", None, "without a code", 5),
        ("عنوان\n\nطهران / 26 تشرين الاول/ارنا- نص.\n\nانتهى **\n", None, "without a code", 5),
        ("عنوان\n\nطهران / 26 تشرين الاول/ارنا- نص.\n\nانتهى ** \n", "ar", "without a code", 5),
        ("Title\n\nMOSCOW, Oct. 26 (IRNA) - Text.\n\nEND\n", None, "without a code", 5),
        ("تیتر\n\nتهران- ایرنا- متن.\n\nپایان\n", "fa", "without a code", 5),
        ("عنوان\n\nانتهى ** 2342\n", None, "no body paragraph", 3),
        ("انتهى ** 2342\n", None, "no headline", 1),
        ("\n\n" + GOOD_DATELINE + " نص.\n\nانتهى ** 1\n", None, "no headline", 3),
        ("عنوان\n\nنص الخبر بلا مكان.\n\nانتهى ** 1\n", None, "no dateline", 3),
        ("عنوان\n\nطهران - نص الخبر.\n\nانتهى ** 1\n", "ar", "no dateline", 3),
        ("Title\n\nThe ministers met.\n\nEND ** 1\n", None, "no dateline", 3),
        ("تیتر\n\nوزیران دیدار کردند.\n\nپایان ** 1\n", None, "no dateline", 3),
        (ar_wire("طهران / 31 شباط/ارنا-"), None, "impossible date: 31 February", 3),
        (ar_wire("طهران / 30 شباط /فبراير/ارنا-"), None, "impossible date: 30 February", 3),
        (ar_wire("طهران / 31 نيسان/ارنا-"), None, "impossible date: 31 April", 3),
        (ar_wire("طهران / 0 نيسان/ارنا-"), None, "day 0 is out of range", 3),
        (ar_wire("طهران / 32 نيسان/ارنا-"), None, "day 32 is out of range", 3),
        (ar_wire("طهران / ٤٥ نيسان/ارنا-"), None, "day 45 is out of range", 3),
        (ar_wire("طهران / 5 برومير/ارنا-"), None, "unknown month name 'برومير'", 3),
        (ar_wire("طهران / 5 تشرين الاول /كذا/ارنا-"), None, "unknown month name 'كذا'", 3),
        (ar_wire("طهران / 5 آبان/ارنا-"), None, "unknown month name 'آبان'", 3),
        (ar_wire("طهران / 26 تشرين الاول /نوفمبر/ارنا-"), None, "month names disagree", 3),
        (ar_wire("طهران / 26 آب /مايو/ارنا-"), None, "month names disagree", 3),
        ("T\n\nMOSCOW, Foo 26 (IRNA) - Text.\n\nEND ** 1\n", None, "unknown month name 'Foo'", 3),
        ("T\n\nMOSCOW, Sept. 31 (IRNA) - Text.\n\nEND ** 1\n", None, "impossible date", 3),
        (ar_wire(GOOD_DATELINE, tail="\nخبر آخر\n"), None, "unexpected text after", 7),
        (ar_wire(GOOD_DATELINE, end="انتهى ** 1 شكرا"), None, "malformed end marker", 5),
        ("عنوان\n\n" + GOOD_DATELINE + "\n\nانتهى ** 1\n", None, "no body text", 3),
    ],
)
def test_it_rejects_bad_wires(data, lang, message, line):
    with pytest.raises(WireError) as caught:
        parse_wire(data, lang=lang, now=NOW)

    assert message in caught.value.message
    assert caught.value.line == line


def test_it_rejects_an_impossible_date_in_the_given_year():
    with pytest.raises(WireError, match=r"^line 3: impossible date: 29 February 2023$"):
        parse_wire(ar_wire("طهران / 29 شباط/ارنا-"), year=2023)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"\xff\xfe headline", 1),
        ("عنوان\n\n".encode() + b"\xd8", 3),
        ("عنوان\r\n\r\nنص ".encode() + b"\xc3\x28 x\n", 3),
        (b"\xef\xbb\xbfTitle\n\nMOSCOW, Oct. 26 (IRNA) - \x80\n\nEND ** 1\n", 3),
        ("عنوان".encode("cp1256"), 1),
    ],
)
def test_it_reports_the_line_of_the_first_byte_that_is_not_utf8(data, line):
    with pytest.raises(WireError, match="not UTF-8") as caught:
        parse_wire(data, now=NOW)

    assert caught.value.line == line


@pytest.mark.parametrize(
    "data",
    [
        ar_wire(GOOD_DATELINE),
        ar_wire(GOOD_DATELINE).replace("\n", "\r\n"),
        ar_wire(GOOD_DATELINE).replace("\n", "\r"),
        "\ufeff" + ar_wire(GOOD_DATELINE),
        ("\ufeff" + ar_wire(GOOD_DATELINE).replace("\n", "\r\n")).encode(),
        ar_wire(GOOD_DATELINE).encode("utf-8-sig"),
    ],
)
def test_it_accepts_a_bom_and_any_line_ends(data):
    story = parse_wire(data, now=NOW)

    assert story.headline == "عنوان الخبر"
    assert story.dateline.text == GOOD_DATELINE
    assert story.body == [BODY_AR]
    assert story.signoff == ["2342"]


def test_it_formats_and_pickles_wire_errors():
    error = WireError("no dateline", line=3)

    assert str(error) == "line 3: no dateline"
    assert str(WireError("the wire is empty")) == "the wire is empty"
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.line) == ("no dateline", 3)


def test_it_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="unknown language"):
        parse_wire(ar_wire(GOOD_DATELINE), lang="de")


def test_it_turns_a_story_into_a_dict_without_its_language():
    story = parse_wire((DATA / "wire-en-moscow.txt").read_text(encoding="utf-8"), now=NOW)

    data = story.to_dict()

    assert data == {
        "headline": "Iran, Russia discuss Gaza in Moscow",
        "dateline": {
            "city": "MOSCOW",
            "day": 26,
            "month": 10,
            "year": 2023,
            "agency": "IRNA",
            "text": "MOSCOW, Oct. 26 (IRNA) -",
        },
        "body": story.body,
        "signoff": ["2342"],
    }
    assert data["body"] is not story.body
    assert isinstance(story, WireStory)
