"""Mounted at /media/: rendition files (see deploy/storage.md for object storage)."""

from django.urls import path

from khabar.photos import views

urlpatterns = [path("<path:name>", views.media, name="photo-media")]
