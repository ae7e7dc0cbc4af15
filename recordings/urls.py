from django.urls import path

from recordings import views

app_name = "recordings"
urlpatterns = [
    path("console/recordings/", views.recording_list, name="list"),
    path("console/recordings/upload/", views.recording_upload, name="upload"),
    path(
        "console/recordings/external/",
        views.recording_add_external,
        name="add_external",
    ),
    path("console/recordings/<int:pk>/", views.recording_detail, name="detail"),
    path("console/recordings/<int:pk>/delete/", views.recording_delete, name="delete"),
    path(
        "console/recordings/<int:pk>/publish/",
        views.recording_publish,
        name="publish",
    ),
    path("console/recordings/<int:pk>/media/", views.recording_media, name="media"),
    path("console/webinars/<int:pk>/recordings/attach/", views.attach, name="attach"),
    path(
        "console/webinars/<int:pk>/recordings/<int:video_pk>/detach/",
        views.detach,
        name="detach",
    ),
    path(
        "console/webinars/<int:pk>/recordings/replay-price/",
        views.replay_price,
        name="replay_price",
    ),
    path("watch/<str:token>/", views.watch, name="watch"),
    path("watch/<str:token>/source/", views.watch_source, name="watch_source"),
    path("watch-media/<str:signed>/", views.watch_media, name="watch_media"),
]
