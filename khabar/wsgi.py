"""WSGI entry point (granian, or any WSGI server): Django behind the anonymous page cache."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
django_application = get_wsgi_application()

from khabar import health  # noqa: E402 - needs Django set up
from khabar.site.pagecache import HIT_LISTENERS, CachedApplication  # noqa: E402
from khabar.site.warmup import warm  # noqa: E402

# Before the server gives this process a reader: views imported, templates parsed.
warm()

# Hits answered before Django are counted in the metrics as well.
HIT_LISTENERS.append(lambda: health.page_cache("hit"))
application = CachedApplication(django_application)
