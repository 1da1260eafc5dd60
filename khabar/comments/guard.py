"""The one request guard of every comment write, for the HTML views and the JSON API alike.

Both doors call the same functions in the same order, so a rule cannot hold on one and not
the other: the origin check, CSRF for sessions (who the actor is), the honeypot, the signed
form time-stamp, and the rate limits (per address and per thread for posts; per address
and per voter for likes and reports).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from khabar.comments import conf, ratelimit, spam
from khabar.comments.errors import CommentError
from khabar.comments.threads import site_of

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


def csrf_ok(request: HttpRequest) -> bool:
    """Whether the request carries a valid CSRF token (Django's own check)."""
    check = CsrfViewMiddleware(lambda r: HttpResponse())
    check.process_request(request)
    return check.process_view(request, lambda r: None, (), {}) is None


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
            check = CsrfViewMiddleware(lambda r: HttpResponse())
            check.process_request(request)
            refused = check.process_view(request, view, args, kwargs)
            if refused is not None:
                return refused
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


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
    ip = ratelimit.client_ip(request)
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
    ip = ratelimit.client_ip(request)
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
        ip=ratelimit.client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        referrer=request.headers.get("Referer", "")[:500],
        permalink=request.headers.get("Referer", "")[:500],
    )
