"""What every audit log shares (the stories' workflow log, the comments' moderation log)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryBase(models.Model):
    """An action that moved something from one state to another, by a user (or by no one
    a user: a partner or a system actor, named by the concrete log)."""

    # Each log sizes these for its own states and actions.
    action: models.CharField[str, str]
    from_status: models.CharField[str, str]
    to_status: models.CharField[str, str]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"
