"""WSGI entry point (granian, or any WSGI server): Django behind the anonymous page cache."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
django_application = get_wsgi_application()

from khabar.site.pagecache import CachedApplication  # noqa: E402 - needs Django set up

application = CachedApplication(django_application)
