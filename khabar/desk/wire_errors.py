"""The wire parser's messages (plain English in ``khabar/wire``, which knows no Django) in the
desk's language, with their details kept."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_MESSAGES = [
    (r"the wire is empty", _("The wire is empty.")),
    (r"no body paragraph before the end marker", _("No body paragraph before the end marker.")),
    (
        r"no dateline at the start of the first paragraph \(expected (?P<example>.*)\)",
        _("No dateline at the start of the first paragraph (expected %(example)s)."),
    ),
    (r"no body text after the dateline", _("No body text after the dateline.")),
    (
        r"not UTF-8 text: byte (?P<byte>\S+) cannot be decoded",
        _("Not UTF-8 text: byte %(byte)s cannot be decoded."),
    ),
    (
        r"malformed end marker: expected '(?P<example>.*)'",
        _("Malformed end marker: expected “%(example)s”."),
    ),
    (
        r"end marker without a code: expected '(?P<example>.*)'",
        _("End marker without a code: expected “%(example)s”."),
    ),
    (
        r"no end marker: expected a line '(?P<example>.*)'",
        _("No end marker: expected a line “%(example)s”."),
    ),
    (
        r"unexpected text after the end marker: (?P<text>.*)",
        _("Unexpected text after the end marker: %(text)s"),
    ),
    (
        r"no headline: the wire starts with its end marker",
        _("No headline: the wire starts with its end marker."),
    ),
    (
        r"no headline: the wire starts with the dateline",
        _("No headline: the wire starts with the dateline."),
    ),
    (r"unknown month name (?P<name>.*)", _("Unknown month name %(name)s.")),
    (r"day (?P<day>\d+) is out of range 1-31", _("Day %(day)s is out of range (1 to 31).")),
    (r"impossible date: (?P<date>.*)", _("Impossible date: %(date)s.")),
    (r"month names disagree: (?P<detail>.*)", _("The month names disagree: %(detail)s.")),
]
_COMPILED = [(re.compile(pattern), message) for pattern, message in _MESSAGES]


def translate(message: str) -> str:
    """The parser's ``message`` in the active language (unchanged when it is not known)."""
    for pattern, translated in _COMPILED:
        match = pattern.fullmatch(message)
        if match is not None:
            return str(translated) % match.groupdict() if match.groupdict() else str(translated)
    return message
