from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "khabar.site"
    label = "khabar_site"
    verbose_name = "Reader site"
