from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "khabar.comments"
    verbose_name = _("Comments")

    def ready(self) -> None:
        from khabar.comments.counts import attach_comment_counts
        from khabar.site import hooks

        # Story lists show each story's comment count; the stories app does not know why.
        hooks.register_story_list(attach_comment_counts)
