"""The stream process's entry point: ``granian --interface asgi khabar.live.asgi:application``.

Only live stories' server-sent events are served here (``khabar.live.streams``); every other
path is the app's (``khabar.wsgi``), which nginx routes elsewhere.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
django.setup()

from khabar.live.streams import StreamApp  # noqa: E402  (needs the apps loaded)

application = StreamApp()
