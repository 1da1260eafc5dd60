"""Reads per story per hour, written in batches (without Redis)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Article


class HourlyReads(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="hourly_reads", verbose_name=_("story")
    )
    #: The start of the hour (UTC) the reads fall in.
    hour = models.DateTimeField(_("hour"))
    count = models.PositiveIntegerField(_("reads"), default=0)

    class Meta:
        verbose_name = _("hourly reads")
        verbose_name_plural = _("hourly reads")
        constraints = [
            models.UniqueConstraint(fields=["article", "hour"], name="analytics_one_row_per_hour")
        ]
        indexes = [models.Index(fields=["hour"], name="analytics_reads_hour")]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.hour:%Y-%m-%d %H}:00 = {self.count}"
