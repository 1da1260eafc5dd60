"""The desk home and its forms, at the top of /desk/ (before the admin's own URLs)."""

from django.contrib import admin
from django.urls import path

from khabar.desk import views

urlpatterns = [
    path("", admin.site.admin_view(views.home), name="desk-home"),
    path("queue/", admin.site.admin_view(views.queue_fragment), name="desk-queue"),
    path("flash/", admin.site.admin_view(views.flash), name="desk-flash"),
    path("import/", admin.site.admin_view(views.wire_import), name="desk-import"),
    path("story/<int:pk>/spike/", admin.site.admin_view(views.spike), name="desk-spike"),
    path(
        "story/<int:pk>/unspike/",
        admin.site.admin_view(views.spike),
        {"undo": True},
        name="desk-unspike",
    ),
    path("story/<int:pk>/publish/", admin.site.admin_view(views.publish), name="desk-publish"),
    path(
        "comment/<int:pk>/<str:verb>/",
        admin.site.admin_view(views.moderate),
        name="desk-moderate",
    ),
]
