from django.urls import path

from khabar.security import views

urlpatterns = [
    path("", views.two_factor, name="two-factor"),
]
