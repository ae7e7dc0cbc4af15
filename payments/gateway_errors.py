"""The gateway's errors: one family, each with a message safe to show a user.

Kept apart from the gateway (which raises them) so the gateway stays one
module per concern. Callers catch the family through `payments.gateway`
(`gateway.GatewayError`, `gateway.InvalidRequest`...); the finer kinds of
invalid request are named here.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class GatewayError(Exception):
    """A Stripe call failed; `message` is safe to show to a user.

    Each kind's default message is a lazy translation, so it reads in the
    language of whoever is shown it.
    """

    message: str | Promise = _("The payment service could not complete this request.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        if message:
            self.message = message
        self.code = code
        self.request_id = request_id
        super().__init__(self.message)


class CardDeclined(GatewayError):
    """The card was declined."""

    message = _("Your card was declined.")


class StripeUnavailable(GatewayError):
    """Stripe could not be reached, failed, or asked to slow down, after retries."""

    message = _(
        "Payments are temporarily unavailable. Please try again in a few minutes."
    )


class AccountDisconnected(GatewayError):
    """The connected Stripe account is gone or no longer linked to the platform."""

    message = _(
        "The organizer's Stripe account is not connected, so payments are unavailable."
    )


class InvalidRequest(GatewayError):
    """Stripe refused the request as invalid (amount, currency, unknown id...)."""

    message = _("The payment request was not accepted.")


class AmountTooSmall(InvalidRequest):
    """The amount is below Stripe's minimum charge for its currency."""

    message = _(
        "The amount is below the minimum the payment service accepts in this "
        "currency, so it cannot be paid online."
    )


class AmountTooLarge(InvalidRequest):
    """The amount is above Stripe's maximum for one payment."""

    message = _(
        "The amount is above the maximum the payment service accepts for one "
        "payment, so it cannot be paid online."
    )


class EmailInvalid(InvalidRequest):
    """Stripe refused the customer's email address."""

    message = _("The payment service did not accept this email address.")


class ParametersInvalid(InvalidRequest):
    """Stripe refused a parameter (missing, unknown, malformed, a bad URL...)."""

    message = _("The payment service refused the details of this request as invalid.")


# Stripe's error codes of invalid requests, by the kind raised for them; other
# codes (resource_missing...) raise InvalidRequest itself.
INVALID_REQUEST_CODES: dict[str, type[InvalidRequest]] = {
    "amount_too_small": AmountTooSmall,
    "amount_too_large": AmountTooLarge,
    "email_invalid": EmailInvalid,
    "parameter_invalid_empty": ParametersInvalid,
    "parameter_invalid_integer": ParametersInvalid,
    "parameter_invalid_string_blank": ParametersInvalid,
    "parameter_invalid_string_empty": ParametersInvalid,
    "parameter_missing": ParametersInvalid,
    "parameter_unknown": ParametersInvalid,
    "parameters_exclusive": ParametersInvalid,
    "url_invalid": ParametersInvalid,
}


class SignatureInvalid(GatewayError):
    """A webhook's signature or payload did not verify."""

    message = _("Invalid webhook signature.")
