"""Redirect targets that come from the request (`next=`)."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """Return `target` if it is a path on this site, else `default`.

    Only an absolute path is taken ("/console/..."): a bare word ("foo") would
    be read as a URL name by `redirect()` (a 500) or as a relative path, and
    another host or scheme would send the user off-site.
    """
    target = (target or "").strip()
    if (
        target.startswith("/")
        and len(target) <= 2000
        and url_has_allowed_host_and_scheme(
            target,
            allowed_hosts={request.get_host()},
            require_https=request.is_secure(),
        )
    ):
        return target
    return default
