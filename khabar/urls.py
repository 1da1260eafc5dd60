"""Top-level URLs: editions under their language prefix, the desk, the API."""

from django.contrib import admin
from django.urls import include, path, register_converter

from khabar.api import api
from khabar.articles import views as article_views
from khabar.site.converters import EditionConverter

register_converter(EditionConverter, "edition")

handler404 = "khabar.security.views.not_found"  # JSON under /api/
handler500 = "khabar.security.views.server_error"  # 503 when the database is down

urlpatterns = [
    path("", article_views.root, name="root"),
    # The reader's pages first: most requests are theirs, and Django tries the patterns in
    # order (no other pattern takes an edition's home, story, section, tag or search page).
    path("<edition:edition>/search/", include("khabar.search.urls")),
    path("<edition:edition>/", include("khabar.articles.urls")),
    path("desk/two-factor/", include("khabar.security.urls")),
    # The desk home (the newsroom's queue) answers /desk/ in place of the admin's index.
    path("desk/", include("khabar.desk.urls")),
    path("desk/", admin.site.urls),
    # The desk's language chooser posts to set_language (/i18n/setlang/), which sets the cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    # /healthz, /readyz and /metrics for load balancers and Prometheus.
    path("", include("khabar.health")),
    path("api/v1/", api.urls),
    path("", include("khabar.syndication.urls")),
    path("", include("khabar.comments.urls")),
    path("media/", include("khabar.photos.urls")),
    path("", include("khabar.analytics.urls")),
    path("", include("khabar.live.urls")),
    # The demo subscriber's receiving endpoint (distribution end to end on make run).
    path("", include("khabar.distribution.urls")),
]
