from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhotosConfig(AppConfig):
    name = "khabar.photos"
    verbose_name = _("Photos")

    def ready(self) -> None:
        from khabar.photos.backup import referenced_files
        from khabar.security import backup

        if referenced_files not in backup.media_references:
            backup.media_references.append(referenced_files)
