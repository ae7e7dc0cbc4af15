"""The payments app's one error family: every message is safe to show a user.

A service raises PaymentsError (or one of its kinds below) with a translated
message; views put it beside the form field it names, or in a flash message.
"""


class PaymentsError(Exception):
    """A payments operation was refused; the message is safe to show.

    `field` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class ConnectError(PaymentsError):
    """Connecting, refreshing or disconnecting Stripe failed."""


class PricingError(PaymentsError):
    """A price cannot be given, e.g. for an unusable discount code."""
