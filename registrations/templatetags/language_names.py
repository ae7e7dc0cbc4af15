"""A language as organizers read it: its name in their language, not a code."""

from django import template
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    """Return the name of the language `code` in the active language.

    "fr" reads "French" in English and "Français" in French (Django's language
    info, translated by its catalogs); a code Django does not know is shown as
    it is, upper-cased, rather than failing the page.
    """
    try:
        return str(get_language_info(code or "")["name_translated"])
    except KeyError:
        return (code or "").upper()
