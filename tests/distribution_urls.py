"""The project's URLs and distribution's, until khabar/urls.py includes them."""

from django.urls import include, path

from khabar.urls import urlpatterns as site

urlpatterns = [path("", include("khabar.distribution.urls")), *site]
