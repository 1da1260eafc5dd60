"""Edition selection from the URL prefix, and security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty

from khabar.site.editions import _editions, default_edition

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)

# The desk: Django's admin (5.x) has no inline scripts, so scripts stay 'self' only; its
# widgets' JavaScript sets style attributes (calendars, filters), hence 'unsafe-inline' for
# styles alone. data: images are the two-factor QR code.
DESK_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)


class EditionMiddleware:
    """Activate the edition named by the first path segment (``/ar/…``, ``/fa/…``).

    Paths outside an edition (the desk, the API) use the language cookie or the default
    edition's language, so the desk is Arabic unless a user chose otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        first = request.path_info.lstrip("/").split("/", 1)[0]
        edition = _editions().get(first)
        if edition is None:
            edition = default_edition()
            cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = cookie if cookie in _editions() else edition.code
        else:
            language = edition.code
        request.edition = edition  # type: ignore[attr-defined]
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's messages (the desk's "story saved"), their storage made when first used.

    Django's middleware makes a cookie and a session storage for every request; a reader's
    page never reads or adds a message, and a storage that was not used stores nothing (its
    ``update`` is a no-op), so one that was never made has nothing to store either.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy on every HTML answer (no inline scripts or styles)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/desk/"):
            response.headers.setdefault("Content-Security-Policy", with_media_origin(DESK_CSP))
            return response
        response.headers.setdefault("Content-Security-Policy", with_media_origin(CSP))
        return response


def with_media_origin(policy: str) -> str:
    """The policy with KHABAR_MEDIA_ORIGIN (photos on object storage or a CDN) in img-src."""
    origin = getattr(settings, "KHABAR_MEDIA_ORIGIN", "")
    return policy.replace("img-src 'self'", f"img-src 'self' {origin}", 1) if origin else policy
