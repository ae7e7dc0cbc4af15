"""The base of every API view: idempotent POSTs and the webinar lookup."""

import json
from typing import Any

from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api import idempotency
from api.models import IdempotentRequest
from webinars.models import Webinar
from webinars.permissions import managed_webinar

REPLAYED_HEADER = "Idempotent-Replayed"


class Replay(exceptions.APIException):
    """Raised before the handler runs: answer with the stored first answer."""

    def __init__(self, stored: idempotency.Stored) -> None:
        super().__init__()
        self.stored = stored


class ApiView(GenericAPIView):
    """A view of /api/v1/: a POST with an Idempotency-Key runs once per key."""

    claimed: IdempotentRequest | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Authentication, scope and rate limit first: they are never stored.
        super().initial(request, *args, **kwargs)
        self.claimed = None
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or key is None:
            return
        result = idempotency.claim(
            token=request.auth,
            key=key,
            request_fingerprint=idempotency.fingerprint(
                method=request.method,
                path=request.get_full_path(),
                body=request._request.body,
            ),
        )
        if isinstance(result, idempotency.Stored):
            raise Replay(result)
        self.claimed = result

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replay):
            stored = exc.stored
            return Response(
                stored.body,
                status=stored.status_code,
                headers={REPLAYED_HEADER: "true"},
                content_type=stored.content_type or None,
            )
        try:
            return super().handle_exception(exc)
        except Exception:
            # A server error: the key is free for the client's retry.
            if self.claimed is not None:
                idempotency.release(claimed=self.claimed)
                self.claimed = None
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.claimed is not None:
            claimed, self.claimed = self.claimed, None
            data = getattr(response, "data", None)
            body = None
            if data is not None:
                rendered = json.loads(JSONRenderer().render(data))
                body = idempotency.storable(rendered)
                if body != rendered:
                    # The first answer reads as its replays will.
                    response.data = body
            idempotency.store(
                claimed=claimed,
                status_code=response.status_code,
                body=body,
                content_type=getattr(response, "content_type", None) or "",
            )
        return response

    def webinar(self) -> Webinar:
        """Return the webinar of the URL if the token's organizer manages it; 404."""
        return managed_webinar(self.request, self.kwargs["webinar_id"])
