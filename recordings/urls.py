from django.urls import include, path

from recordings.views import library, watch, webinar_panel

app_name = "recordings"

# console/recordings/...: the library, then one recording of it.
library_patterns = [
    path("", library.recording_list, name="list"),
    path("upload/", library.recording_upload, name="upload"),
    path("external/", library.recording_add_external, name="add_external"),
    path(
        "<int:pk>/",
        include(
            [
                path("", library.recording_detail, name="detail"),
                path("delete/", library.recording_delete, name="delete"),
                path("publish/", library.recording_publish, name="publish"),
                path("media/", library.recording_media, name="media"),
            ]
        ),
    ),
]

# console/webinars/<pk>/recordings/...: the webinar page's video panel.
panel_patterns = [
    path("attach/", webinar_panel.attach, name="attach"),
    path("<int:video_pk>/detach/", webinar_panel.detach, name="detach"),
    path("replay-price/", webinar_panel.replay_price, name="replay_price"),
]

urlpatterns = [
    path("console/recordings/", include(library_patterns)),
    path("console/webinars/<int:pk>/recordings/", include(panel_patterns)),
    # A registrant's personal watch link, and its short-lived media URL.
    path("watch/<str:token>/", watch.watch_page, name="watch"),
    path("watch/<str:token>/source/", watch.watch_source, name="watch_source"),
    path("watch-media/<str:signed>/", watch.watch_media, name="watch_media"),
]
