"""The error handler for 500s, and the desk's two-factor page."""

from __future__ import annotations

import base64
import io
import sys

import orjson
import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from khabar.security import conf
from khabar.security.auth import check_code, confirmed_devices
from khabar.security.middleware import answer_unavailable, is_unavailable


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that went away is a 503 with a message, the rest the 500 page."""
    error = sys.exc_info()[1]
    if error is not None and is_unavailable(error):
        return answer_unavailable(request, error)
    from khabar.articles.views import server_error as page

    return page(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the API answers in JSON (its error shapes), the rest with the 404 page."""
    if request.path_info.startswith("/api/"):
        body = {"code": "not-found", "message": _("Not found."), "detail": "Not Found"}
        return HttpResponse(orjson.dumps(body), status=404, content_type="application/json")
    from khabar.articles.views import not_found as page

    return page(request, exception)


def _qr(device: TOTPDevice) -> str:
    # A complete SVG document, with its xmlns: without one (svg_inline's fragment, made to
    # sit inside HTML) an image of type image/svg+xml does not load at all.
    svg = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        svg, kind="svg", scale=5, dark="#111", xmldecl=False
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode()


def _secret(device: TOTPDevice) -> str:
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


_NEW_CODES = "khabar_backup_codes"  # session key: the codes, shown once
WRONG_CODE = _lazy("The code is not right or has expired; try the current one.")


def _new_backup_codes(request: HttpRequest) -> None:
    """Replace the user's backup codes; the page shows the new ones once."""
    user = request.user
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("Backup codes"), confirmed=True)
    codes = [StaticToken.random_token() for _ in range(conf.BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    request.session[_NEW_CODES] = codes


@staff_member_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan, then confirm a code) or off (with a current code),
    and make new backup codes (with a current code)."""
    user = request.user
    here = reverse("two-factor")
    confirmed = [d for d in confirmed_devices(user) if isinstance(d, TOTPDevice)]
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    error = ""
    if request.method == "POST":
        step = request.POST.get("step", "")
        token = request.POST.get("token", "")
        if step == "start" and not confirmed:
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
            return HttpResponseRedirect(here)
        if step == "confirm" and pending is not None:
            check = check_code([pending], token)
            if check.device is not None:
                TOTPDevice.objects.filter(pk=pending.pk).update(confirmed=True)
                pending.confirmed = True
                # This session proved a code; every other session of the user was opened
                # without one and is signed out at its next request (the middleware).
                otp_login(request, pending)
                _new_backup_codes(request)
                messages.success(request, _("Two-factor sign-in is on."))
                return HttpResponseRedirect(here)
            error = check.wait_message() if check.wait else WRONG_CODE
        elif step == "disable" and confirmed and not conf.REQUIRE_TWO_FACTOR:
            check = check_code(confirmed, token)
            if check.device is not None:
                TOTPDevice.objects.filter(user=user).delete()
                StaticDevice.objects.filter(user=user).delete()
                messages.success(request, _("Two-factor sign-in is off."))
                return HttpResponseRedirect(here)
            error = check.wait_message() if check.wait else WRONG_CODE
        elif step == "codes" and confirmed:
            check = check_code(confirmed, token)
            if check.device is not None:
                # Verified by the app's code now: the session outlives the old backup codes
                # (it may have been verified by one of them).
                otp_login(request, check.device)
                _new_backup_codes(request)
                return HttpResponseRedirect(here)
            error = check.wait_message() if check.wait else WRONG_CODE
    context = {
        **admin.site.each_context(request),
        "title": _("Two-factor sign-in"),
        "enabled": bool(confirmed),
        "pending": pending if not confirmed else None,
        "qr": _qr(pending) if pending is not None and not confirmed else "",
        "secret": _secret(pending) if pending is not None and not confirmed else "",
        "issuer": settings.OTP_TOTP_ISSUER,
        "error": error,
        "codes": request.session.pop(_NEW_CODES, None) if request.method == "GET" else None,
        "codes_left": StaticToken.objects.filter(device__user=user).count(),
        "required": conf.REQUIRE_TWO_FACTOR,
    }
    return render(request, "security/two_factor.html", context, status=400 if error else 200)
