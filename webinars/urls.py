from django.urls import include, path

from webinars import views

app_name = "webinars"

session_patterns = [
    path("add/", views.sessions_add, name="sessions_add"),
    path("<int:session_pk>/edit/", views.session_edit, name="session_edit"),
    path("<int:session_pk>/delete/", views.session_delete, name="session_delete"),
]
member_patterns = [
    path("add/", views.member_add, name="member_add"),
    path("<int:member_pk>/remove/", views.member_remove, name="member_remove"),
]
question_patterns = [
    path("add/", views.question_add, name="question_add"),
    path("<str:question_id>/remove/", views.question_remove, name="question_remove"),
]

# webinars/<pk>/...: one webinar's console page and what it edits.
webinar_patterns = [
    path("", views.webinar_detail, name="detail"),
    path("edit/", views.webinar_edit, name="edit"),
    path("recordings/", views.webinar_recordings, name="recordings"),
    path("settings/", views.webinar_settings, name="settings"),
    path("sessions/", include(session_patterns)),
    path("members/", include(member_patterns)),
    path("questions/", include(question_patterns)),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("webinars/new/", views.webinar_create, name="create"),
    path("webinars/<int:pk>/", include(webinar_patterns)),
]
