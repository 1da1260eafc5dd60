from django.urls import path

from khabar.articles import views

urlpatterns = [
    path("", views.home, name="home"),
    path("news/<int:pk>/", views.article, name="article"),
    path("news/<int:pk>/<str:slug>/", views.article, name="article-slug"),
    path("section/<str:slug>/", views.section, name="section"),
    path("tag/<str:slug>/", views.tag, name="tag"),
]
