from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "khabar.search"
    verbose_name = _("Search")

    def ready(self) -> None:
        # Stories know nothing of search: they tell the core's hooks, which search joins here.
        from khabar.search.desk import desk_search
        from khabar.search.indexing import index_article, index_stored_stories
        from khabar.site import hooks

        hooks.register_story_saved(index_article)
        hooks.register_story_search(desk_search)
        hooks.register_stories_stored(index_stored_stories)
