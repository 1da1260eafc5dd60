"""Serving renditions from MEDIA_ROOT (when media is not on object storage)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

#: Rendition names are content-hashed, so a file at an address never changes.
FOREVER = "public, max-age=31536000, immutable"


def media(request: HttpRequest, name: str) -> HttpResponse:
    """A rendition; originals (which keep the photographer's metadata) are never served."""
    if not name.startswith("photos/r/"):
        raise Http404("not public")
    response = serve(request, name, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = FOREVER
    response["Cross-Origin-Resource-Policy"] = "same-site"
    return response
