"""Property-based tests: any input gives a result or a clear error, never an exception.

The wire parser, the Arabic analyzer, the Markdown renderer and the comment tree are fed
what hypothesis makes up, including near-valid wire text and hostile comment threads.
"""

from __future__ import annotations

import contextlib
import datetime
import signal

import pytest
from django.contrib.auth.models import AnonymousUser
from htmlcheck import problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khabar.comments import actions, tree
from khabar.comments.errors import CommentError
from khabar.comments.models import HIDDEN, Comment, Status
from khabar.lib import arabic
from khabar.lib.html import ALLOWED_TAGS, render_comment
from khabar.wire.parse import WireError, parse_wire
from khabar.wire.render import render_wire

# Characters where the interesting bugs live: Arabic and Persian letters, diacritics,
# tatweel, Eastern digits, bidi controls, joiners, Markdown and HTML syntax, controls.
SPICY = (
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةىکیگپچژ"
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640"
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
    "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
    "*_[]()<>&#;:/\\`>!\n\r\t -–—،؛؟.\x00\x01\x7f\u2028\ufffe"
)
text = st.one_of(
    st.text(),
    st.text(alphabet=SPICY),
    st.text(alphabet=st.characters(codec="utf-8")),
)
FAST = settings(max_examples=150, deadline=None)

AR_MONTHS = ["كانون الثاني - يناير", "شباط - فبراير", "تشرين الاول - اكتوبر", "ايار - مايو"]


@st.composite
def wire_like(draw) -> str:
    """Text shaped like a wire story, with a random part broken or missing."""
    words = st.text(alphabet="ابتثجحخدرسشصعفقكلمنهوي ", min_size=1, max_size=40)
    headline = draw(words)
    city = draw(st.sampled_from(["موسكو", "طهران", "بيروت", "", "MOSCOW"]))
    day = draw(st.integers(min_value=-1, max_value=40))
    month = draw(st.sampled_from([*AR_MONTHS, "شهر", ""]))
    agency = draw(st.sampled_from(["ارنا", "IRNA", ""]))
    body = draw(st.lists(words, min_size=0, max_size=4))
    codes = draw(st.lists(st.sampled_from(["2342", "1483", "۲۳۴۲", "abc", ""]), max_size=3))
    end = draw(st.sampled_from(["انتهى", "ح", "", "END"]))
    first = f"{city} - {day} {month} - {agency} - " + (body[0] if body else "")
    parts = [headline, first, *body[1:], f"{end} {' '.join(codes)}".strip()]
    return draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n"])).join(parts)


def _parse_or_refuse(data: str | bytes, **options) -> None:
    try:
        story = parse_wire(data, **options)
    except WireError as error:
        assert str(error)
        return
    assert story.headline and story.body
    assert isinstance(story.to_dict(), dict)
    # What was read can be written back out.
    assert render_wire(story)


@FAST
@given(text, st.sampled_from([None, "ar", "fa", "en"]))
def test_it_parses_or_refuses_any_text_as_wire(data, lang):
    _parse_or_refuse(data, lang=lang, now=datetime.date(2024, 3, 1))


@FAST
@given(st.binary())
def test_it_parses_or_refuses_any_bytes_as_wire(data):
    _parse_or_refuse(data, now=datetime.date(2024, 3, 1))


@FAST
@given(wire_like(), st.integers(min_value=1900, max_value=2100) | st.none())
def test_it_parses_or_refuses_near_valid_wire_stories(data, year):
    _parse_or_refuse(data, year=year, now=datetime.date(2024, 3, 1))


@FAST
@given(text)
def test_it_analyzes_any_text(value):
    for token in arabic.tokenize(value):
        assert value[token.start : token.end] == token.original
        assert token.term
    for token in arabic.analyze(value):
        assert 0 <= token.start <= token.end <= len(value)
    for lang in ("ar", "fa", "en"):
        assert isinstance(arabic.analyze_terms(value, lang=lang), list)
        assert isinstance(arabic.analyzed_text(value, lang=lang), str)
    assert arabic.normalize(arabic.normalize(value)) == arabic.normalize(value)
    assert not any(ch in arabic.strip_bidi_controls(value) for ch in "\u202e\u2066\u2067")
    assert len(arabic.fingerprint(value)) > 0


@FAST
@given(st.lists(st.text(alphabet=SPICY, min_size=1, max_size=12), max_size=5), text)
def test_it_matches_words_in_any_text(words, value):
    matcher = arabic.WordMatcher(words)
    for word, span in matcher.find(value):
        assert word in words
        assert value[span.start : span.end] == span.original
    assert (matcher.first(value) is None) == (matcher.find(value) == [])
    for word in words:
        if arabic.analyze_terms(word):
            assert matcher.find(word), word


@FAST
@given(text)
def test_it_renders_any_comment_to_inert_html(value):
    html = render_comment(value)
    assert isinstance(html, str)
    assert problems(f"<html><body>{html}</body></html>") == []
    import lxml.html

    if html.strip():
        for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
            assert element.tag in ALLOWED_TAGS | {"div"}


# --- the comment tree -------------------------------------------------------------------

step = st.tuples(
    st.integers(min_value=-1, max_value=40),  # reply to the n-th comment so far (-1: top level)
    st.sampled_from(["post", "post", "post", "reject", "spam", "delete", "approve"]),
    st.text(alphabet=SPICY, min_size=0, max_size=30),
)


def _check_page(page: tree.ThreadPage) -> None:
    seen = set()
    for root in page.roots:
        assert root.comment.depth == 0
        for node in root.walk():
            assert node.comment.pk not in seen
            seen.add(node.comment.pk)
            if node.comment.status in HIDDEN:
                assert node.tombstone
            for child in node.children:
                assert child.comment.depth == node.comment.depth + 1
                assert child.comment.path.startswith(node.comment.path)
                assert child.comment.parent_id == node.comment.pk


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(step, min_size=1, max_size=25))
def test_it_keeps_any_thread_a_well_formed_tree(people, steps):
    from khabar.test import make_article, make_section

    story = make_article(section=make_section(comment_policy="post"))
    moderator = people["moderator"]
    made: list[Comment] = []
    for n, (target, action, words) in enumerate(steps):
        if action == "post":
            parent = made[target].pk if 0 <= target < len(made) else None
            try:
                posted = actions.post_comment(
                    story.thread_key,
                    actor=AnonymousUser(),
                    author="قارئ",
                    text=f"{words} {n}",
                    parent_id=parent,
                )
            except CommentError as error:
                assert error.code in {"empty", "too-short", "html", "parent-removed", "too-deep"}
                continue
            made.append(posted.comment)
        elif made:
            comment = Comment.objects.get(pk=made[target % len(made)].pk)
            change = {
                "reject": actions.reject_comment,
                "spam": actions.mark_spam,
                "approve": actions.approve_comment,
            }.get(action)
            try:
                if change is not None:
                    change(comment, actor=moderator)
                else:
                    actions.delete_comment(comment, actor=AnonymousUser())
            except CommentError:
                pass
    from khabar.comments.models import Thread

    thread = Thread.objects.filter(key=story.thread_key).first()
    approved = Comment.objects.filter(thread=thread, status=Status.APPROVED).count()
    # The count every page and story list shows is kept by the actions, never recounted.
    assert (thread.approved_count if thread else 0) == approved
    for sort in tree.SORTS:
        for viewer in (tree.Viewer(), tree.Viewer(user_id=moderator.pk, is_moderator=True)):
            page = tree.read_page(thread, viewer=viewer, sort=sort)
            _check_page(page)
            shown = [n for n in page if not n.tombstone]
            assert len(shown) <= approved


@contextlib.contextmanager
def finishes_within(seconds: int):
    """Turn a hang (catastrophic regex backtracking) into a failure instead of a stuck suite."""

    def stop(signum, frame):
        raise AssertionError(f"still running after {seconds}s: catastrophic backtracking?")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("char", sorted(set(SPICY) - {"\n", "\r"}))
def test_it_gets_through_long_runs_of_one_character(char):
    """A line of 3,000 tatweels once hung the dateline regex: every character gets a run."""
    run = char * 3000
    with finishes_within(20):
        for data in (run, f"{run} / 26 ايار / ارنا -", f"عنوان\n\n{run}\n\nانتهى ** 2342"):
            _parse_or_refuse(data, now=datetime.date(2024, 3, 1))
        arabic.analyze(run)
        arabic.fingerprint(run)
        render_comment(run)
