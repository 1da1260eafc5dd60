from django.urls import path

from khabar.live import views

urlpatterns = [
    path("live/<int:pk>/events", views.stream, name="live-events"),
    path("live/<int:pk>/updates.json", views.updates, name="live-updates"),
    path("live/ticker/<edition:edition>.json", views.ticker_json, name="live-ticker"),
]
