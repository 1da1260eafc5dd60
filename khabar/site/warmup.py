"""What an app process does once, before its first reader, instead of during that reader's
request.

A fresh process paid about 275 ms of CPU for its first story page against 4 ms for the next
(measured with Django's test client on the demo content): every view module imported on the
first URL resolution, each template parsed on its first render (the cached loader keeps it
after), each edition's message catalogue read on first use. In the soak, twelve readers
arriving at two fresh processes waited up to 1.6 s for those. ``warm`` does that work at
start-up, with no database and no request: ``khabar/wsgi.py`` calls it before the server
hands the process a connection.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver
from django.utils import translation

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent


def template_names() -> list[str]:
    """The templates khabar's own apps ship (Django's admin and other libraries' are left to
    load when first used: the desk's pages are not what a wave of readers asks for)."""
    names: set[str] = set()
    for folder in get_app_template_dirs("templates"):
        if not folder.is_relative_to(PACKAGE):
            continue
        names.update(str(path.relative_to(folder)) for path in folder.rglob("*.html"))
    return sorted(names)


def warm() -> dict[str, float]:
    """Import every view, parse every template of khabar's and read each edition's messages.

    Never raises: a template that does not compile is the first reader's error to see, as
    without the warm-up, and is logged here.
    """
    started = time.process_time()
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    engine = engines["django"]
    compiled = 0
    for name in template_names():
        try:
            engine.get_template(name)
            compiled += 1
        except (TemplateDoesNotExist, TemplateSyntaxError) as error:
            log.warning("warm-up: template %s: %s", name, error)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Comments")
    return {"templates": compiled, "cpu_ms": round((time.process_time() - started) * 1000, 1)}
