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

urlpatterns = [
    path("console/recordings/", include(library_patterns)),
    # The webinar page's post-session video panel.
    path(
        "console/webinars/<int:pk>/recordings/",
        include(
            [
                path("attach/", webinar_panel.attach, name="attach"),
                path("<int:video_pk>/detach/", webinar_panel.detach, name="detach"),
                path("replay-price/", webinar_panel.replay_price, name="replay_price"),
            ]
        ),
    ),
    # A registrant's personal watch link.
    path(
        "watch/<str:token>/",
        include(
            [
                path("", watch.watch_page, name="watch"),
                path("source/", watch.watch_source, name="watch_source"),
            ]
        ),
    ),
    path("watch-media/<str:signed>/", watch.watch_media, name="watch_media"),
]
