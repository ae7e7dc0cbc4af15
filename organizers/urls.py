from django.urls import path

from organizers import views

app_name = "organizers"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("console/account/", views.account_view, name="account"),
    path("console/account/invite/", views.invite_view, name="invite"),
    path("invite/<str:uidb64>/<str:token>/", views.accept_invite, name="accept_invite"),
]
