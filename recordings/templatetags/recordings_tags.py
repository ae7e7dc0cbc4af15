from django import template

register = template.Library()


@register.filter
def duration_hms(seconds: int | None) -> str:
    """Format seconds as h:mm:ss (or m:ss under an hour)."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
