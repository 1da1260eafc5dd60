from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "khabar.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from django.contrib import admin

        from khabar.security.auth import DeskLoginForm

        # The desk's login asks for a one-time code from staff who turned two-factor on.
        admin.site.login_form = DeskLoginForm
        admin.site.login_template = "security/login.html"
