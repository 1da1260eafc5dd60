"""Feeds, sitemaps and robots.txt; mounted at the site root before the reader pages."""

from django.urls import path

from khabar.syndication import feeds, views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("news-sitemap.xml", views.news_sitemap, name="news-sitemap"),
    path("sitemap-<edition:edition>-<str:slug>.xml", views.sitemap_section, name="sitemap-section"),
    path("<edition:edition>/feed/rss.xml", feeds.StoryFeed(), name="feed-rss"),
    path("<edition:edition>/feed/atom.xml", feeds.StoryAtomFeed(), name="feed-atom"),
    path(
        "<edition:edition>/feeds/section/<str:slug>/rss.xml",
        feeds.SectionFeed(),
        name="feed-section-rss",
    ),
    path(
        "<edition:edition>/feeds/section/<str:slug>/atom.xml",
        feeds.SectionAtomFeed(),
        name="feed-section-atom",
    ),
    path("<edition:edition>/feeds/tag/<str:slug>/rss.xml", feeds.TagFeed(), name="feed-tag-rss"),
    path(
        "<edition:edition>/feeds/tag/<str:slug>/atom.xml", feeds.TagAtomFeed(), name="feed-tag-atom"
    ),
]
