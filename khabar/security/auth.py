"""The desk's login: throttled by django-axes, with a one-time code for staff who chose one."""

from __future__ import annotations

import datetime
from typing import Any

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user

from khabar.comments.ratelimit import client_ip as _client_ip
from khabar.security import conf


def client_ip(request: HttpRequest) -> str:
    """The address django-axes counts failures under: the same as the comment rate limits."""
    return _client_ip(request) or "0.0.0.0"


def confirmed_devices(user: Any) -> list[Any]:
    """The user's confirmed authenticator apps and backup codes (two-factor is on when
    there is one; they are made and removed together)."""
    if user is None or not getattr(user, "pk", None):
        return []
    return list(devices_for_user(user, confirmed=True))


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
        for device in devices:
            if device.verify_is_allowed()[0] and device.verify_token(token):
                # django_otp's user_logged_in handler marks the session as verified.
                user.otp_device = device
                return cleaned
        raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
