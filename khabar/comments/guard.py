"""The one request guard of every comment write, for the HTML views and the JSON API alike.

Both doors call the same functions in the same order, so a rule cannot hold on one and not
the other: the origin check, CSRF for sessions (who the actor is), the honeypot, the signed
form time-stamp, and the rate limits (per address and per thread for posts; per address
and per voter for likes and reports).

Which sites may call the API from their pages is decided here too: django-cors-headers
answers preflights and adds the CORS headers, and asks ``cors_enabled`` whether a request's
origin is one of KHABAR_COMMENT_SITES; ``in_readers_language`` answers in the language the
widget's page asks for; ``embed_refusal`` is what the widget is told at load when its page
may not embed a thread.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt

from khabar.comments import conf, ratelimit, spam
from khabar.comments.errors import CommentError
from khabar.comments.threads import key_is_valid, resolve_thread, site_of
from khabar.site.clientip import client_ip

# --- Origin and CSRF ------------------------------------------------------------------------


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def foreign_origin(request: HttpRequest) -> str:
    """The Origin header when it names another site, else ""."""
    origin = request.headers.get("Origin", "")
    return "" if not origin or origin == own_origin(request) else origin


def allowed_origin(origin: str) -> bool:
    return origin in conf.SITES.values()


def check_origin(request: HttpRequest, key: str | None = None) -> None:
    """A write from another origin must come from a configured site (its own threads)."""
    origin = foreign_origin(request)
    if not origin:
        return
    if not allowed_origin(origin):
        raise CommentError("forbidden-origin")
    site = site_of(key) if key and key.startswith("site:") else None
    if site is not None and conf.SITES[site] != origin:
        raise CommentError("forbidden-origin")


def csrf_refusal(
    request: HttpRequest,
    view: Callable[..., HttpResponse] | None = None,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """Django's own CSRF check (``CsrfViewMiddleware``) of a request whose view is exempt
    from the middleware: its refusal (the CSRF failure view's 403), or None."""
    check = CsrfViewMiddleware(lambda r: HttpResponse())
    check.process_request(request)
    return check.process_view(request, view or _no_view, args, kwargs or {})


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def csrf_ok(request: HttpRequest) -> bool:
    """Whether the request carries a valid CSRF token."""
    return csrf_refusal(request) is None


def actor_for(request: HttpRequest) -> Any:
    """Who writes: the session's user only for a same-origin request with a valid CSRF
    token; anyone else is an anonymous reader (``AnonymousUser``), never ``None``."""
    user = request.user
    if not user.is_authenticated or foreign_origin(request) or not csrf_ok(request):
        return AnonymousUser()
    return user


def csrf_for_sessions(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the HTML forms: a logged-in reader's post without a valid CSRF token is refused.

    Anonymous readers carry nothing a forged request could use (edit tokens live in a
    SameSite cookie), and leaving the token out of their pages keeps story pages cacheable.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            refused = csrf_refusal(request, view, args, kwargs)
            if refused is not None:
                return refused
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


# --- Cross-origin requests (CORS) and the reader's language --------------------------------


def cors_enabled(sender: Any, *, request: HttpRequest, **kwargs: Any) -> bool:
    """django-cors-headers asks whether to answer ``request`` with CORS headers (its
    ``check_request_enabled`` signal, connected in ``CommentsConfig.ready``): yes for a site
    of KHABAR_COMMENT_SITES calling one of the widget's endpoints (``CORS_URLS_REGEX``).

    The signal also switches CORS on for paths outside the regex, so the path is checked
    here too: an embedding site may call the comments, not the rest of the API.
    """
    if not re.match(settings.CORS_URLS_REGEX, request.path_info):
        return False
    return allowed_origin(request.headers.get("Origin", ""))


def language_of(request: HttpRequest) -> str:
    """The first language of Accept-Language that has an edition (the widget sends the
    host page's), else the one the edition middleware chose."""
    for code, _weight in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return translation.get_language()


def in_readers_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run an API view, its errors included, in the reader's language (``language_of``) and
    say which (apply to a whole router before validation:
    ``router.add_decorator(in_readers_language, mode="view")``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = language_of(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return wrapper


def embed_refusal(request: HttpRequest, thread_key: str) -> CommentError | None:
    """Why the widget on the requesting page may not show ``thread_key``, or None: a site
    not in KHABAR_COMMENT_SITES, another site's key, a key naming nothing."""
    if not key_is_valid(thread_key):
        return CommentError("thread-unknown")
    try:
        check_origin(request, thread_key)
        resolve_thread(thread_key, create=False)
    except CommentError as refusal:
        return refusal
    return None


# --- Spam checks and rate limits ------------------------------------------------------------


def check_post(request: HttpRequest, thread_key: str, *, stamp: str, honeypot: str) -> str:
    """Everything a new comment must pass before it is read; returns the address hash.

    A missing time-stamp counts as a form sent at once: "too-fast", as a too quick one.
    """
    check_origin(request, thread_key)
    if honeypot:
        raise CommentError("bot")
    problem = spam.stamp_problem(stamp, thread_key) if stamp else "too-fast"
    if problem:
        raise CommentError("too-fast" if problem == "too-fast" else "form-expired")
    ip = client_ip(request)
    if not ratelimit.hit("ip", ip or "unknown", conf.RATE_PER_IP):
        raise CommentError("rate-ip")
    if not ratelimit.hit("thread", thread_key, conf.RATE_PER_THREAD):
        raise CommentError("rate-thread")
    return ratelimit.hash_ip(ip)


def check_vote(request: HttpRequest, kind: str, *, voter: str) -> str:
    """Rate limits for a like or a report (``kind``), per address and per voter; returns
    the address hash, under which a like also counts once."""
    check_origin(request)
    rate = conf.RATE_LIKES if kind == "like" else conf.RATE_REPORTS
    ip = client_ip(request)
    if not ratelimit.hit(f"{kind}-ip", ip or "unknown", rate):
        raise CommentError("rate-ip")
    if not ratelimit.hit(f"{kind}-voter", voter, rate):
        raise CommentError("rate-ip")
    return ratelimit.hash_ip(ip)


def submission_of(request: HttpRequest, *, text: str, author: str, email: str) -> spam.Submission:
    """What the spam checker sees of a comment and its request."""
    return spam.Submission(
        text=text,
        author=author,
        email=email,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        referrer=request.headers.get("Referer", "")[:500],
        permalink=request.headers.get("Referer", "")[:500],
    )
