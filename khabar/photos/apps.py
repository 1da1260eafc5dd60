from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhotosConfig(AppConfig):
    name = "khabar.photos"
    verbose_name = _("Photos")

    def ready(self) -> None:
        from khabar.photos.backup import referenced_files
        from khabar.photos.demo import load_demo_photos
        from khabar.security import backup
        from khabar.site import hooks

        hooks.register_demo("demo photos", load_demo_photos)
        if referenced_files not in backup.media_references:
            backup.media_references.append(referenced_files)
