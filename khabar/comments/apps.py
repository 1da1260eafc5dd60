from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "khabar.comments"
    verbose_name = _("Comments")

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from khabar.comments.counts import attach_comment_counts
        from khabar.comments.guard import cors_enabled
        from khabar.site import hooks, pagecache

        # Story lists show each story's comment count; the stories app does not know why.
        hooks.register_story_list(attach_comment_counts)
        # The sites that may call the widget's endpoints are KHABAR_COMMENT_SITES, read at
        # each request (override_settings reaches them), not a list fixed at start-up.
        check_request_enabled.connect(cors_enabled, dispatch_uid="khabar.comments.cors")
        # A thread's JSON page is cached whole for anonymous same-site readers (api.py):
        # these are the parameters it reads, so any other makes no stored variant.
        pagecache.register_params("/api/v1/comments", ("thread", "sort", "cursor"))
