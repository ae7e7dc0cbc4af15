from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class EmailBackend(ModelBackend):
    """Authenticate with an email address (case-insensitive) and a password."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ):  # noqa: ANN201
        email = kwargs.get("email") or username
        if not email or password is None:
            return None
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=email).order_by("pk").first()
        if user is None:
            # Run the hasher anyway so timing does not reveal unknown emails.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def login_name(request: HttpRequest, credentials: dict | None) -> str:
    """Return the account a login attempt is for, as django-axes counts it.

    The console's form sends `email`, the admin's `username` (an email too, as
    EmailBackend reads it); case and spaces do not make a new account to guess.
    """
    credentials = credentials or {}
    name = (
        credentials.get("email")
        or credentials.get("username")
        or request.POST.get("email")
        or request.POST.get("username")
        or ""
    )
    return str(name).strip().lower()
