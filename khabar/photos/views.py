"""Serving renditions from MEDIA_ROOT (when media is not on object storage)."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

#: Rendition names are content-hashed, so a file at an address never changes.
FOREVER = "public, max-age=31536000, immutable"

#: The only folder of MEDIA_ROOT served: renditions. Originals keep GPS and camera tags.
PUBLIC_DIR = "photos/r"


def public_name(name: str) -> str | None:
    """``name`` as a clean relative path inside the renditions folder, or None.

    The check is made on the name as the file system will see it: unquoted once more (a
    proxy may pass ``%2e%2e`` through), with any ``..``, ``.``, empty segment, backslash
    or NUL refused outright rather than normalised away, so ``photos/r/../originals/…``
    can never be read as ``photos/originals/…``.
    """
    decoded = unquote(name)
    if "\x00" in decoded or "\\" in decoded or decoded != posixpath.normpath(decoded):
        return None
    segments = decoded.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return None
    if segments[:2] != PUBLIC_DIR.split("/") or len(segments) < 3:
        return None
    return decoded


def media(request: HttpRequest, name: str) -> HttpResponse:
    """A rendition; originals (which keep the photographer's metadata) are never served."""
    clean = public_name(name)
    if clean is None:
        raise Http404("not public")
    # The name is clean, but a symbolic link could still lead out: the file itself must
    # lie inside the renditions folder once every link is followed.
    public_root = (Path(settings.MEDIA_ROOT) / PUBLIC_DIR).resolve()
    path = (Path(settings.MEDIA_ROOT) / clean).resolve()
    if not path.is_relative_to(public_root) or not path.is_file():
        raise Http404("not public")
    response = serve(request, str(path.relative_to(public_root)), document_root=public_root)
    response["Cache-Control"] = FOREVER
    response["Cross-Origin-Resource-Policy"] = "same-site"
    return response
