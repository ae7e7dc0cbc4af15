from django.urls import path

from webinars import views

app_name = "webinars"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("webinars/new/", views.webinar_create, name="create"),
    path("webinars/<int:pk>/", views.webinar_detail, name="detail"),
    path("webinars/<int:pk>/edit/", views.webinar_edit, name="edit"),
    path("webinars/<int:pk>/sessions/add/", views.sessions_add, name="sessions_add"),
    path(
        "webinars/<int:pk>/sessions/<int:session_pk>/edit/",
        views.session_edit,
        name="session_edit",
    ),
    path(
        "webinars/<int:pk>/sessions/<int:session_pk>/delete/",
        views.session_delete,
        name="session_delete",
    ),
    path("webinars/<int:pk>/members/add/", views.member_add, name="member_add"),
    path(
        "webinars/<int:pk>/members/<int:member_pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("webinars/<int:pk>/questions/add/", views.question_add, name="question_add"),
    path(
        "webinars/<int:pk>/questions/<str:question_id>/remove/",
        views.question_remove,
        name="question_remove",
    ),
]
