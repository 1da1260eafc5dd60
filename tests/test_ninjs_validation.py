"""ninjs validity is decided first by jsonschema-rs (``ninjs.fast_validator``), thirty times
faster than python-jsonschema; a document it passes is not looked at again. So it must never
pass what python-jsonschema (``ninjs.validator``, which says what is wrong) fails: run here
over documents nobody here wrote (IPTC's own test suite for every schema version, its
examples, agencies' samples) and over what an attacker would change in them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from khabar.syndication import ninjs
from khabar.syndication.ingest import IngestError, read_stories

IPTC = Path(__file__).parent / "data" / "iptc" / "ninjs"
SUITE = IPTC / "test_suite"


def suite_documents() -> Iterator[tuple[str, str, Path]]:
    for version in ninjs.KNOWN:
        for expected in ("should_pass", "should_fail"):
            for path in sorted((SUITE / version / expected).glob("*.json")):
                yield version, expected, path


def example_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IPTC example and agency sample with the version it is valid ninjs of."""
    for path in sorted(IPTC.glob("*examples/**/*.json")):
        doc = json.loads(path.read_text("utf-8"))
        if not isinstance(doc, dict):
            continue
        _version, errors = ninjs.validate(doc)
        if not errors:
            yield f"{path.relative_to(IPTC)}", doc


def python_valid(doc: Any, version: str) -> bool:
    return not list(ninjs.validator(version).iter_errors(doc))


SUITE_CASES = list(suite_documents())
EXAMPLES = list(example_documents())


def test_the_material_is_there():
    # IPTC's suite: every version has documents to pass and to fail
    assert len(SUITE_CASES) > 150
    assert {v for v, expected, _ in SUITE_CASES if expected == "should_fail"} == set(ninjs.KNOWN)
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(
    ("version", "expected", "path"),
    SUITE_CASES,
    ids=[f"{v}/{e}/{p.stem}" for v, e, p in SUITE_CASES],
)
def test_iptc_suite_gets_the_same_verdict(version, expected, path):
    try:
        doc = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError:  # a raw line break in a string, say: not JSON at all
        assert expected == "should_fail"
        with pytest.raises(IngestError, match="invalid JSON"):
            read_stories(path.read_bytes())
        return
    fast = ninjs.fast_validator(version)
    slow = python_valid(doc, version)
    if fast is None:  # ninjs 1.0 (draft-03): python-jsonschema alone
        assert version == "1.0"
    else:
        assert fast.is_valid(doc) == slow
    # and what khabar says of the document is what IPTC's suite expects of it
    assert (ninjs.schema_errors(doc, version) == []) == slow


def test_the_suites_documents_that_must_fail_fail():
    passed = [
        str(path.relative_to(SUITE))
        for version, expected, path in SUITE_CASES
        if expected == "should_fail" and not _errors(path, version)
    ]
    # documents IPTC's suite fails for rules a JSON Schema cannot state (its own runner's)
    assert len(passed) < len([c for c in SUITE_CASES if c[1] == "should_fail"]) // 10, passed


def _errors(path: Path, version: str) -> list[str]:
    try:
        return ninjs.schema_errors(json.loads(path.read_text("utf-8")), version)
    except json.JSONDecodeError as error:
        return [str(error)]


def tampered(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """What a partner's broken or hostile document changes in a valid one."""

    def changed(name: str, value: Any) -> tuple[str, dict[str, Any]]:
        new = copy.deepcopy(doc)
        new[name] = value
        return name, new

    for name, value in list(doc.items()):
        if isinstance(value, str):
            yield changed(name, 42)
            yield changed(name, value + "\n")
            yield changed(name, "yesterday")
            yield changed(name, "2024-01-01T10:00:00")  # no offset
            yield changed(name, "2024-01-01 10:00:00Z")
            yield changed(name, "/relative/uri")
            yield changed(name, "http://exa mple.com/")
        elif isinstance(value, list):
            yield changed(name, {"0": value})
            yield changed(name, [*value, 7])
            yield changed(name, [{"unknown": 1}])
        elif isinstance(value, dict):
            yield changed(name, [value])
            yield changed(name, {**value, "ضيف": "قيمة"})
    yield changed("ضيف", "قيمة")
    yield changed("description_<script>", "x")
    yield changed("geometry_", {})
    without = copy.deepcopy(doc)
    without.pop("uri", None)
    without.pop("guid", None)
    yield "no id", without


@pytest.mark.parametrize(("name", "doc"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_a_tampered_document_is_never_passed_by_the_fast_check_alone(name, doc):
    version, _ = ninjs.validate(doc)
    fast = ninjs.fast_validator(version)
    let_through = []
    for change, bad in tampered(doc):
        if fast is not None and fast.is_valid(bad) and not python_valid(bad, version):
            let_through.append(change)
        if not python_valid(bad, version):
            assert ninjs.schema_errors(bad, version)  # the errors, as before
    assert let_through == []


def test_no_schema_is_fetched_from_the_network():
    # every version's $refs resolve from disk; a reference to anywhere else is refused, not
    # fetched: building each validator and checking a document touches no socket
    import socket

    real = socket.socket.connect

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a schema was fetched over the network")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        ninjs.fast_validator.cache_clear()
        for version in ninjs.KNOWN:
            fast = ninjs.fast_validator(version)
            if fast is not None:
                fast.is_valid({"uri": "http://example.com/1"})
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_a_document_nested_past_any_news_document_is_refused_clearly(depth):
    # a partner's (or an attacker's) document of arrays inside arrays: it was a
    # RecursionError out of json.loads, a server error for the partner's POST
    nested = "[" * depth + "]" * depth
    data = (
        '{"uri": "http://example.com/1", "type": "text", "headlines": [{"value": "خبر"}], '
        f'"bodies": [{{"value": "نص"}}], "keywords": {nested}}}'
    ).encode()
    with pytest.raises(IngestError, match="nested too deeply"):
        read_stories(data)
