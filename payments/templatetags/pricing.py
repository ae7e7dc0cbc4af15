"""Template tags for money: {% money amount currency %} formats minor units."""

from django import template

from payments.money import format_money

register = template.Library()


@register.simple_tag(takes_context=True)
def money(
    context: template.Context, amount: int, currency: str, language: str = ""
) -> str:
    """Format minor units in `language`, the context's language, or the active one."""
    return format_money(
        int(amount or 0), currency, language or context.get("language") or None
    )
