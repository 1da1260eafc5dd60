"""A database that is down or restarting: a 503 with a message, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from khabar.security import conf
from khabar.security.auth import confirmed_devices, is_privileged, unprivileged

log = logging.getLogger(__name__)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The answer while the database cannot be reached: JSON for the API, a page otherwise."""
    message = _("The site is busy or under maintenance. Please try again in a few seconds.")
    if request.path_info.startswith("/api/"):
        body = orjson.dumps({"code": "unavailable", "message": message})
        response = HttpResponse(body, status=503, content_type="application/json")
    else:
        html = render_to_string("security/unavailable.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(conf.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def is_unavailable(error: BaseException) -> bool:
    # OperationalError covers a refused or dropped connection and "database is locked";
    # InterfaceError a connection already closed under us.
    return isinstance(error, (OperationalError, InterfaceError))


class DatabaseUnavailableMiddleware:
    """Turns a connection failure in a view into a 503 (handler500 does it for the rest).

    The broken connection is closed, so the next request opens a fresh one: the app
    recovers when the database does, without a restart.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_unavailable(exception):
            return answer_unavailable(request, exception)
        return None


def answer_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    log.warning("database unavailable for %s: %s", request.path_info, error)
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except DatabaseError:
            pass
    return unavailable(request)


class TwoFactorRequiredMiddleware:
    """Two-factor sign-in is checked per session (django-otp's verification), not per user.

    - A staff session that no code verified, for an account that has two-factor sign-in on
      (a session opened before it was turned on), is signed out, on every page.
    - With KHABAR_REQUIRE_TWO_FACTOR, a staff session without verification reaches only the
      two-factor page (and logging out) in the desk, and everywhere else (the reader site's
      previews, comments approved at once, the API) acts with no privilege at all.
    """

    ALLOWED = ("/desk/two-factor/", "/desk/logout/", "/desk/login/", "/desk/jsi18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Without a session there is no one signed in: the user (and the session, which
        # would add Vary: Cookie) is not even looked at.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        user = request.user
        if not is_privileged(user) or user.is_verified():  # type: ignore[attr-defined]
            return self.get_response(request)
        path = request.path_info
        desk = path.startswith("/desk/")
        if confirmed_devices(user):
            logout(request)
            if desk:
                messages.info(
                    request, _("Two-factor sign-in is on for this account: sign in with a code.")
                )
        elif conf.REQUIRE_TWO_FACTOR:
            if not desk:
                view = unprivileged(user)
                request.user = view

                async def auser() -> object:  # async code asks request.auser()
                    return view

                request.auser = auser  # type: ignore[attr-defined]
            elif not path.startswith(self.ALLOWED):
                messages.warning(
                    request, _("Turn on two-factor sign-in to use the desk: it is required here.")
                )
                return redirect("two-factor")
        return self.get_response(request)
