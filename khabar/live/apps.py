from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "khabar.live"
    label = "live"
    verbose_name = _("Live stories")

    def ready(self) -> None:
        from khabar.live import ticker
        from khabar.site import hooks

        hooks.register_story_hook(ticker.story_changed)
