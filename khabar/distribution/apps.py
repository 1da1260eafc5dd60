from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "khabar.distribution"
    label = "distribution"
    verbose_name = _("Distribution")

    def ready(self) -> None:
        from khabar.distribution import outbox
        from khabar.site import hooks

        hooks.register_story_hook(outbox.queue_story_change)
