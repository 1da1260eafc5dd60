import time

from django.conf import settings
from django.http import HttpRequest

from khabar.site.editions import all_editions, default_edition


def edition(request: HttpRequest) -> dict[str, object]:
    current = getattr(request, "edition", None) or default_edition()
    return {
        # The masthead (edition links, section menu) is shared by all readers of an edition
        # and rendered at most once a minute per process.
        "chrome_stamp": f"m{int(time.time() // 60)}" if settings.KHABAR_FRAGMENT_CACHE else "",
        "edition": current,
        "editions": all_editions(),
        "agency_name": current.agency_name,
        "site_url": settings.SITE_URL,
    }
