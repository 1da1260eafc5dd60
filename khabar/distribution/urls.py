from django.urls import path

from khabar.distribution import views

urlpatterns = [
    path(
        "distribution/receiver/<int:destination_id>/",
        views.receive,
        name="distribution-receiver",
    ),
]
