from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The newsroom's home in the desk: the queue, the last day's charts, wire import and
    flashes. The top layer: it reads stories, comments and reads; nothing imports it."""

    name = "khabar.desk"
    verbose_name = _("Desk home")
