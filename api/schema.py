"""The OpenAPI schema: bearer tokens, Idempotency-Key, problem responses."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from api.problems import PROBLEM_CONTENT_TYPE


class FieldErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    pointer = serializers.CharField(help_text="JSON pointer into the request.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(allow_blank=True)
    errors = FieldErrorSerializer(many=True, required=False)


PROBLEM_DESCRIPTIONS = {
    "400": "Invalid request (see `errors`).",
    "401": "No token, or an unknown or revoked one.",
    "403": "The token's scope does not allow it.",
    "404": "Not found, or not in the token's account.",
    "409": "Conflict: full, closed, already registered, key in use.",
    "422": "Refused by a business rule.",
    "429": "Too many requests: see Retry-After.",
}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token created in the console (tsr_...).",
        }


class ProblemAutoSchema(AutoSchema):
    """Every operation documents its problem responses; POSTs take a key."""

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        "Replays the first answer for 24 hours; another request "
                        "with the same key is refused (422)."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404", "429"]
        if self.method == "POST":
            codes += ["409", "422"]
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(
                    ProblemSerializer,
                    code,
                    media_types=[PROBLEM_CONTENT_TYPE],
                    direction=direction,
                )
                response["description"] = PROBLEM_DESCRIPTIONS[code]
                responses[code] = response
        return responses
