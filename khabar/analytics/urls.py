from django.urls import path

from khabar.analytics import views

urlpatterns = [
    path("hit/<int:pk>", views.hit, name="analytics-hit"),
    path("hit/<int:pk>.gif", views.hit, name="analytics-hit-gif"),
]
