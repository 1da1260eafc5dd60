from django.urls import path

from khabar.comments import views

urlpatterns = [
    path("comments/post/", views.post, name="comments-post"),
    path("comments/<int:pk>/edit/", views.edit, name="comments-edit"),
    path("comments/<int:pk>/delete/", views.delete, name="comments-delete"),
    path("comments/<int:pk>/like/", views.like, name="comments-like"),
    path("comments/<int:pk>/report/", views.report, name="comments-report"),
    path("comments/<int:pk>/replies/", views.replies, name="comments-replies"),
    path("comments/unsubscribe/<str:token>/", views.unsubscribe, name="comments-unsubscribe"),
    path("comments/feed/<int:pk>/", views.ArticleCommentsFeed(), name="comments-feed"),
]
