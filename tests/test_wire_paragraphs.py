"""The paragraph rule of wire copy: a line is a paragraph unless the copy is wrapped."""

import datetime

import pytest

from khabar.wire.parse import WRAP_WIDTH, parse_wire
from khabar.wire.render import render_wire

NOW = datetime.date(2023, 11, 1)
DATELINE = "طهران / 26 تشرين الاول /اكتوبر/ارنا-"
LONG_1 = (
    "أعلن وزير الخارجية اليوم أن المحادثات مع الجانب الروسي "
    "تناولت الأوضاع في المنطقة وسبل وقف التصعيد."
)
LONG_2 = (
    "وأضاف أن البلدين اتفقا على مواصلة التشاور في الأسابيع المقبلة على مستوى نواب الوزراء والخبراء."
)
SHORT_1 = "دان رئيس الحكومة الاعتداءات المتكررة على القرى الجنوبية،"
SHORT_2 = "مؤكدا ان بلاده ستتقدم بشكوى جديدة الى مجلس الامن."


def wire(*body_lines: str, blank_between: bool = False) -> str:
    sep = "\n\n" if blank_between else "\n"
    return f"عنوان الخبر\n\n{DATELINE} " + sep.join(body_lines) + "\n\nانتهى ** 2342\n"


@pytest.mark.parametrize(
    ("data", "body"),
    [
        # The hold-out file: two long paragraphs on consecutive lines stay two paragraphs.
        (wire(LONG_1, LONG_2), [LONG_1, LONG_2]),
        (wire(LONG_1, LONG_2, blank_between=True), [LONG_1, LONG_2]),
        # Wrapped copy: short lines are one paragraph until a blank line, as typed.
        (wire(SHORT_1, SHORT_2), [f"{SHORT_1}\n{SHORT_2}"]),
        (wire(SHORT_1, SHORT_2, blank_between=True), [SHORT_1, SHORT_2]),
        # One long line in the copy means it is not wrapped: every line is a paragraph.
        (wire(SHORT_1, LONG_1, SHORT_2), [SHORT_1, LONG_1, SHORT_2]),
        # The dateline alone on its line, then unwrapped paragraphs.
        (f"عنوان\n\n{DATELINE}\n{LONG_1}\n{LONG_2}\n\nانتهى ** 1\n", [LONG_1, LONG_2]),
    ],
)
def test_it_makes_each_line_of_unwrapped_copy_a_paragraph(data, body):
    assert len(LONG_1) > WRAP_WIDTH and len(SHORT_1) <= WRAP_WIDTH
    assert parse_wire(data, now=NOW).body == body


@pytest.mark.parametrize(
    "data", [wire(LONG_1, LONG_2), wire(SHORT_1, SHORT_2), wire(SHORT_1, LONG_1, SHORT_2)]
)
def test_it_keeps_the_round_trip(data):
    story = parse_wire(data, now=NOW)
    again = parse_wire(render_wire(story), now=NOW)
    assert again.body == story.body
    assert again.headline == story.headline
