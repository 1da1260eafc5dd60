"""The desk's login: throttled by django-axes, with a one-time code for staff who chose one."""

from __future__ import annotations

import copy
import datetime
import math
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from khabar.security import conf
from khabar.site.clientip import client_ip as _client_ip


def client_ip(request: HttpRequest) -> str:
    """The address django-axes counts failures under: the same as the comment rate limits."""
    return _client_ip(request) or "0.0.0.0"


def confirmed_devices(user: Any) -> list[Any]:
    """The user's confirmed authenticator apps and backup codes (two-factor is on when
    there is one; they are made and removed together)."""
    if user is None or not getattr(user, "pk", None):
        return []
    return list(devices_for_user(user, confirmed=True))


def is_privileged(user: Any) -> bool:
    """Staff (the desk) or superuser: the accounts two-factor sign-in protects."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def _no_save(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("an unprivileged view of a user is not saved")


def unprivileged(user: Any) -> Any:
    """A copy of ``user`` with no privilege: not staff, not superuser, no permission.

    Given to the reader site and the API for a staff session that two-factor sign-in has
    not verified (KHABAR_REQUIRE_TWO_FACTOR), so that every permission check there
    (previews, comments approved at once, moderation) sees a plain reader. It refuses to
    be saved: the account itself keeps its flags.
    """
    view = copy.copy(user)
    view.is_staff = view.is_superuser = False
    # ModelBackend reads these caches first: empty, it grants nothing.
    view._perm_cache = view._user_perm_cache = view._group_perm_cache = set()
    view.save = _no_save
    return view


@dataclass(frozen=True)
class CodeCheck:
    """The device a code verified, or None; and, when a device made the code wait after
    wrong ones, how many seconds are left."""

    device: Any | None
    wait: int = 0

    def wait_message(self) -> str:
        return ngettext(
            "Too many wrong codes: wait %(n)d second, then enter the current code.",
            "Too many wrong codes: wait %(n)d seconds, then enter the current code.",
            self.wait,
        ) % {"n": self.wait}


def check_code(devices: list[Any], token: str) -> CodeCheck:
    """Check a code against the devices it can belong to.

    Six digits are a code from the authenticator app; anything else a backup code (in
    any case, spaces ignored), so a backup code never counts as a wrong app code and
    makes the app wait. A device still waiting after wrong codes is not asked: the answer
    says how long the wait is, not that a right code is wrong.
    """
    token = "".join(token.split())
    # App codes are six digits; backup codes eight base-32 characters (letters and 2-7).
    app_code = token.isdigit() and len(token) < 8
    wait = 0
    for device in devices:
        if isinstance(device, TOTPDevice) != app_code:
            continue
        allowed, info = device.verify_is_allowed()
        if not allowed:
            until = (info or {}).get("locked_until")
            left = (until - timezone.now()).total_seconds() if until else 1
            wait = max(wait, math.ceil(left), 1)
            continue
        if device.verify_token(token if app_code else token.lower()):
            return CodeCheck(device)
    return CodeCheck(None, wait)


def address_paused(address: str) -> bool:
    """Whether this address failed KHABAR_LOGIN_ADDRESS_FAILURES sign-ins, over all user
    names, within the lockout period (django-axes pauses one account per address)."""
    if not settings.AXES_ENABLED or not conf.ADDRESS_FAILURE_LIMIT:
        return False
    since = timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    failures = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return bool(failures and failures >= conf.ADDRESS_FAILURE_LIMIT)


class DeskLoginForm(AdminAuthenticationForm):
    """User name and password; and the six-digit code when the user turned two-factor on."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"}
        ),
        help_text=_("Only if you turned on two-factor sign-in; a backup code works too."),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "address_paused": _(
            "Too many failed sign-ins from your address, whatever the account: try again later."
        ),
        "otp_required": _("Enter the code from your authenticator app."),
        "otp_invalid": _("The code is not right or has expired; try the current one."),
    }

    def clean(self) -> dict[str, Any]:
        if address_paused(client_ip(self.request)):
            raise forms.ValidationError(
                self.error_messages["address_paused"], code="address_paused"
            )
        cleaned = super().clean()
        user = self.get_user()
        devices = confirmed_devices(user)
        if not devices:
            return cleaned
        token = "".join((cleaned.get("otp_token") or "").split())
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        check = check_code(devices, token)
        if check.device is not None:
            # django_otp's user_logged_in handler marks the session as verified.
            user.otp_device = check.device
            return cleaned
        if check.wait:
            raise forms.ValidationError(check.wait_message(), code="otp_wait")
        raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
