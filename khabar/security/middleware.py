"""A database that is down or restarting: a 503 with a message, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from django.contrib import messages
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from khabar.security import conf
from khabar.security.auth import confirmed_devices

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
    """With KHABAR_REQUIRE_TWO_FACTOR, a staff user without two-factor sign-in reaches only
    the two-factor page (and logging out) in the desk until they turn it on."""

    ALLOWED = ("/desk/two-factor/", "/desk/logout/", "/desk/login/", "/desk/jsi18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            conf.REQUIRE_TWO_FACTOR
            and path.startswith("/desk/")
            and not path.startswith(self.ALLOWED)
            and request.user.is_authenticated
            and request.user.is_staff
        ):
            if not confirmed_devices(request.user):
                messages.warning(
                    request, _("Turn on two-factor sign-in to use the desk: it is required here.")
                )
                return redirect("two-factor")
        return self.get_response(request)
