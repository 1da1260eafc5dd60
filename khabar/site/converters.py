"""URL converter that accepts only configured edition codes."""

import re

from django.conf import settings


class EditionConverter:
    regex = "|".join(re.escape(code) for code in settings.KHABAR_EDITIONS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
