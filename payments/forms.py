"""Console forms for prices, tiers and discount codes.

Forms turn text into values (amounts as people write them, local times in the
webinar's time zone); the rules about those values live in
payments.price_changes and payments.codes.
"""

import json
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from organizers.bounds import BoundedDateTimeField, BoundedIntegerField
from payments.codes import MAX_GENERATED_CODES
from payments.models import CURRENCIES, CURRENCY_CHOICES, DiscountCode
from payments.money import MoneyError, format_amount, parse_money
from payments.price_changes import limits_text

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(BoundedDateTimeField):
    """A date and time typed in the webinar's time zone (WebinarForm sets `tz`).

    A time the zone skips or repeats is refused (organizers.local_time).
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [LOCAL_FORMAT, "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)


class MoneyField(forms.CharField):
    """An amount as people write it; the form turns it into minor units."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)


class WebinarForm(forms.Form):
    """A form about one webinar: dates in its time zone, money in its currency."""

    # Several of these forms share one page: each needs its own element ids.
    id_prefix = "form"

    def __init__(
        self, *args: Any, tz: zoneinfo.ZoneInfo, currency: str = "USD", **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.currency = currency
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField):
                field.tz = tz

    def clean_money(self, name: str, currency: str | None = None) -> int | None:
        """Return the named field's value in minor units, or add an error."""
        text = self.cleaned_data.get(name)
        if text is None:
            return None
        try:
            return parse_money(text, currency or self.currency, get_language())
        except MoneyError as error:
            self.add_error(name, error.message)
            return None


class PaymentsSwitchForm(forms.Form):
    enabled = forms.TypedChoiceField(
        choices=[("1", _("On")), ("0", _("Off"))], coerce=lambda v: v == "1"
    )


def price_help(currency: str) -> str:
    """Return the hint under the regular price: how to write it, and its limits."""
    return f"{_('For example 49.00 or 1 200,50.')} {limits_text(currency)}"


class PriceForm(WebinarForm):
    """The regular price and its currency; the hint states that currency's limits.

    The limits are those of the currency chosen: the one posted (a refused save
    shows the page again), else the one saved. The currency select carries the
    hint for every currency, in the page's language, for static/js/price-limits.js
    to show the chosen one's as soon as it changes.
    """

    id_prefix = "price"

    amount = MoneyField(label=_("Regular price"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    turn_payments_on = forms.BooleanField(
        label=_("Turn payments on: registrants pay this price"),
        required=False,
        initial=True,
        help_text=_(
            "Leave it ticked to sell from this save on; anyone already "
            "registered keeps their seat."
        ),
    )

    def __init__(
        self, *args: Any, offer_payments_on: bool = False, **kwargs: Any
    ) -> None:
        """`offer_payments_on`: payments are off and the webinar could sell now.

        Without it the box is not offered; a box posted anyway is ignored, so
        payments are never turned on unless the form showed the choice.
        """
        super().__init__(*args, **kwargs)
        if not offer_payments_on:
            del self.fields["turn_payments_on"]
        self.fields["amount"].help_text = price_help(self.chosen_currency())
        self.fields["currency"].widget.attrs.update(
            {
                "data-amount-help": json.dumps(
                    {currency: price_help(currency) for currency in CURRENCIES},
                    ensure_ascii=False,
                ),
                "data-amount-help-for": f"{self['amount'].auto_id}_helptext",
            }
        )

    def chosen_currency(self) -> str:
        """Return the currency posted (or initial) if sold, else the saved one."""
        if self.is_bound:
            posted = self.data.get(self.add_prefix("currency"))
        else:
            posted = self.initial.get("currency")
        return posted if posted in CURRENCIES else self.currency

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "currency" in data:
            data["amount"] = self.clean_money("amount", data["currency"])
        return data


class TierForm(WebinarForm):
    id_prefix = "tier"

    amount = MoneyField(label=_("Early-bird price"))
    ends_at = LocalDateTimeField(label=_("Until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["amount"] = self.clean_money("amount")
        return data


class CodeSettingsForm(WebinarForm):
    amount = MoneyField(
        label=_("Price with the code"), help_text=_("0 gives free registration.")
    )
    max_uses = BoundedIntegerField(
        label=_("Maximum uses"),
        required=False,
        help_text=_("Empty: unlimited."),
    )
    valid_from = LocalDateTimeField(label=_("Valid from"), required=False)
    valid_until = LocalDateTimeField(label=_("Valid until"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["amount"] = self.clean_money("amount")
        max_uses = data.get("max_uses")
        if max_uses is not None and max_uses < 1:
            self.add_error("max_uses", _("Maximum uses must be at least 1."))
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error(
                "valid_until", _("“Valid until” must be after “valid from”.")
            )
        return data


class CodeForm(CodeSettingsForm):
    id_prefix = "code"

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits, - and _; case does not matter."),
        strip=True,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    field_order = ["code", "amount", "max_uses", "valid_from", "valid_until"]

    @classmethod
    def initial_for(cls, code: DiscountCode, *, currency: str) -> dict[str, Any]:
        return {
            "code": code.code,
            "amount": format_amount(code.amount, currency),
            "max_uses": code.max_uses,
            "valid_from": code.valid_from,
            "valid_until": code.valid_until,
            "active": code.active,
        }


class GenerateCodesForm(CodeSettingsForm):
    id_prefix = "generate"

    count = BoundedIntegerField(label=_("Number of codes"))
    prefix = forms.CharField(
        label=_("Prefix"), required=False, max_length=29, strip=True
    )
    max_uses = BoundedIntegerField(
        label=_("Maximum uses of each code"),
        required=False,
        initial=1,
        help_text=_("Empty: unlimited."),
    )

    field_order = ["count", "prefix", "amount", "max_uses"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"].help_text = _("From 1 to %(max)d.") % {
            "max": MAX_GENERATED_CODES
        }

    def clean_count(self) -> int:
        count = self.cleaned_data["count"]
        if count < 1 or count > MAX_GENERATED_CODES:
            raise forms.ValidationError(
                _("Generate between 1 and %(max)d codes."),
                params={"max": MAX_GENERATED_CODES},
            )
        return count
