"""A page's bytes put together from its kept fragments' bytes (issue 19).

A story page rendered with its fragments kept (``{% fragment %}``) is 70 KB of HTML, most
of it Arabic, and nearly all of it those fragments. Encoding the whole page to UTF-8 on
every request and hashing it for its ETag cost a sixth of such a render's CPU, for bytes
that change only when the page is purged. So a kept fragment (``Kept``) also keeps its
UTF-8 bytes and their digest, made the first time a page is put together from it. While
``render_to_bytes`` renders a page, a kept fragment leaves a marker in the template's text
(``place``); the page's bytes are the text between the markers, encoded, with each
fragment's bytes where its marker was, and its ETag a digest of those pieces.

Nothing that is kept holds a marker: a fragment renders its own content with placing off
(``unplaced``), so a fragment inside another is its text there, as before.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: What a placed fragment leaves in the text: a Unicode noncharacter (never in interchanged
#: text), a number drawn when the process starts, the fragment's place, and another
#: noncharacter. No story, comment or name can hold one by chance or on purpose.
_MARK = f"\ufdd0{secrets.token_hex(8)}:"
_END = "\ufdd1"


class Kept:
    """A rendered fragment as the fragment cache keeps it: its text, and its UTF-8 bytes
    with their digest once a page has been put together from it. Never changed after the
    bytes are made (two requests making them at once make the same)."""

    __slots__ = ("_data", "_digest", "text")

    def __init__(self, text: str):
        self.text = text
        self._data: bytes | None = None
        self._digest = b""

    def encoded(self) -> tuple[bytes, bytes]:
        """The fragment's UTF-8 bytes and their digest, made once."""
        data = self._data
        if data is None:
            data = self.text.encode()
            self._digest = hashlib.blake2b(data, digest_size=16).digest()
            self._data = data
        return data, self._digest

    def __getstate__(self) -> str:  # a cache that pickles keeps the text alone
        return self.text

    def __setstate__(self, text: str) -> None:
        self.__init__(text)  # type: ignore[misc]


# The fragments placed so far in the page that ``render_to_bytes`` renders (None: outside
# one, or inside a fragment's own render, where every fragment is its text).
_placed: ContextVar[list[Kept] | None] = ContextVar("khabar_placed_fragments", default=None)


def place(kept: Kept) -> str:
    """What a kept fragment puts in the text being rendered: a marker while
    ``render_to_bytes`` renders a page, else its text."""
    placed = _placed.get()
    if placed is None:
        return kept.text
    placed.append(kept)
    return f"{_MARK}{len(placed) - 1}{_END}"


@contextmanager
def unplaced() -> Iterator[None]:
    """Placing off for what renders inside: text that is kept must hold no marker."""
    token = _placed.set(None)
    try:
        yield
    finally:
        _placed.reset(token)


def render_to_bytes(render: Callable[[], str]) -> tuple[bytes, str]:
    """The page that ``render`` renders, as UTF-8 bytes, and its ETag: the text around the
    kept fragments encoded, their bytes put back in place."""
    placed: list[Kept] = []
    token = _placed.set(placed)
    try:
        text = render()
    finally:
        _placed.reset(token)
    pieces = text.split(_MARK)
    parts = [pieces[0].encode()]
    digest = hashlib.blake2b(digest_size=12)
    digest.update(_framed(parts[0]))
    for piece in pieces[1:]:
        index, _end, rest = piece.partition(_END)
        data, fragment_digest = placed[int(index)].encoded()
        tail = rest.encode()
        parts += (data, tail)
        # The fragment by its digest (and length), the text around it by its bytes.
        digest.update(b"f%d:" % len(data) + fragment_digest)
        digest.update(_framed(tail))
    return b"".join(parts), f'"{digest.hexdigest()}"'


def _framed(data: bytes) -> bytes:
    return b"t%d:" % len(data) + data


#: The attribute of a response that carries its ETag from ``render_to_bytes``, with the body
#: it was made for (a middleware that changed the body leaves it behind).
_ETAG = "khabar_spliced_etag"


def mark_etag(response: Any, body: bytes, etag: str) -> None:
    """Give ``response`` (whose content is ``body``) the ETag ``render_to_bytes`` made."""
    setattr(response, _ETAG, (body, etag))


def etag_for(response: Any, body: bytes) -> str:
    """The ETag of ``response``, whose content is ``body``: the one made with it when the
    body is still the one it was made for, else a digest of the body."""
    made = getattr(response, _ETAG, None)
    if made is not None and made[0] is body:
        return str(made[1])
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
