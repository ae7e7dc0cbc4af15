"""Stripe-shaped API errors raised inside the sandbox."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as `{"error": {...}}` with an HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = error_type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body Stripe sends for this error."""
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            }
        }


class OAuthError(Exception):
    """An OAuth error: `{"error": "invalid_grant", "error_description": ...}`."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, Any]:
        """Return the JSON body Stripe's OAuth endpoints send."""
        return {"error": self.error, "error_description": self.description}


def missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    """Return Stripe's 404 for an id that does not exist on this account."""
    return ApiError(
        f"No such {kind}: '{object_id}'",
        status=404,
        code="resource_missing",
        param=param,
    )


def invalid(
    message: str, *, param: str | None = None, code: str | None = None
) -> ApiError:
    """Return a 400 `invalid_request_error`."""
    return ApiError(message, param=param, code=code)


def missing_param(name: str, *, param: str | None = None) -> ApiError:
    """Return Stripe's 400 for a required parameter left out."""
    return invalid(
        f"Missing required param: {name}.",
        param=param or name,
        code="parameter_missing",
    )
