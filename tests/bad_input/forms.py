"""Forms found in a page's HTML, valid values for their fields, hostile values."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

# A date and time far enough ahead of the pinned clock to be valid everywhere.
FUTURE_DATE = "2027-03-10"
FUTURE_DATETIME = "2027-03-10T10:00"

# Markup is not sent to forms: escaping is the templates' business (their own
# tests), not a source of server errors, and each value costs a request per field.
HOSTILE_ALWAYS: dict[str, str | None] = {
    "missing": None,
    "empty": "",
    "10k chars": "x" * 10_000,
    "null byte": "a\x00b",
}
HOSTILE_NUMBERS: dict[str, str] = {
    "wrong type": "abc",
    "-1": "-1",
    "2**31": str(2**31),
    "2**63": str(2**63),
    "-2**63-1": str(-(2**63) - 1),
    "10**30": str(10**30),
    "1e400": "1e400",
    "1.5": "1.5",
    "4300+ digits": "9" * 5000,
}
HOSTILE_DATES: dict[str, str] = {
    "wrong type": "abc",
    "0001-01-01": "0001-01-01",
    "9999-12-31": "9999-12-31",
    "10000-01-01": "10000-01-01",
    "0001-01-01T00:00": "0001-01-01T00:00",
    "9999-12-31T23:59": "9999-12-31T23:59",
    "2027-02-30": "2027-02-30",
}
HOSTILE_TIMES: dict[str, str] = {"wrong type": "abc", "25:61": "25:61"}
# A plain text field may still be read as a number by its view.
HOSTILE_TEXT_EXTRA: dict[str, str] = {"2**63": str(2**63)}
# Fields never attacked: the CSRF token (the test client does not check it).
UNATTACKED = {"csrfmiddlewaretoken"}

NUMERIC_HINTS = ("amount", "price", "limit", "count", "uses", "duration", "percent")
NUMERIC_HINTS += ("hours", "occurrences", "quantity", "number", "_pk", "_id", "id")
DATE_HINTS = ("date", "_at", "until", "from", "day")

# Valid values by field name, used for every field not under attack.
VALID_BY_NAME: dict[str, str] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "title": "A good title",
    "label": "Your company",
    "amount": "10.00",
    "currency": "USD",
    "code": "SPRING26",
    "count": "2",
    "prefix": "P",
    "max_uses": "5",
    "view_limit": "5",
    "duration": "00:10:00",
    "date": FUTURE_DATE,
    "start_time": "10:00",
    "end_time": "11:00",
    "occurrences": "1",
    "timezone": "Europe/Paris",
    "registration_limit": "50",
    "url": "https://example.com/video.mp4",
    "broadcast_url": "https://meet.example.com/room",
    "refund_hours_before": "24",
    "refund_percent": "100",
    "message": "A message",
    "password": "demo",
    "new_password1": "A-long-pass-phrase-1",
    "new_password2": "A-long-pass-phrase-1",
    "username": "admin@example.com",
    "card_number": "4242 4242 4242 4242",
}
VALID_BY_TYPE: dict[str, str] = {
    "email": "ada@example.com",
    "number": "1",
    "date": FUTURE_DATE,
    "datetime-local": FUTURE_DATETIME,
    "time": "10:00",
    "url": "https://example.com/",
    "password": "demo",
}


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea"
    value: str | None = None  # the page's own value (None: not sent by default)
    options: list[str] = field(default_factory=list)

    @property
    def numeric(self) -> bool:
        if self.kind in ("number", "hidden"):
            return True
        if self.kind == "select":
            return any(option.isdigit() for option in self.options)
        lowered = self.name.lower()
        return self.kind in ("text", "") and any(h in lowered for h in NUMERIC_HINTS)

    @property
    def dated(self) -> bool:
        if self.kind in ("date", "datetime-local", "datetime"):
            return True
        lowered = self.name.lower()
        return self.kind in ("text", "") and any(h in lowered for h in DATE_HINTS)

    def hostile(self) -> dict[str, str | None]:
        values: dict[str, str | None] = dict(HOSTILE_ALWAYS)
        if self.kind == "time":
            values.update(HOSTILE_TIMES)
        if self.numeric:
            values.update(HOSTILE_NUMBERS)
        if self.dated:
            values.update(HOSTILE_DATES)
        if not self.numeric and not self.dated and self.kind != "time":
            values.update(HOSTILE_TEXT_EXTRA)
        return values

    def valid(self) -> str | None:
        if self.kind in ("checkbox", "radio"):
            return self.value if self.value is not None else "on"
        if self.kind == "select":
            chosen = [o for o in self.options if o]
            return self.value or (chosen[0] if chosen else "")
        if self.value:
            return self.value
        if self.kind == "file":
            return None
        return VALID_BY_NAME.get(self.name) or VALID_BY_TYPE.get(self.kind, "Text")


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: dict[str, Field] = field(default_factory=dict)

    def valid_data(self) -> dict[str, str]:
        data = {}
        for name, entry in self.fields.items():
            value = entry.valid()
            if value is not None:
                data[name] = value
        return data


class FormParser(HTMLParser):
    """Collect the forms of a page, their fields, and the links' query keys."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: Field | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {k: (v or "") for k, v in attrs}
        if tag == "a" and "?" in attr.get("href", ""):
            self.links.append(attr["href"])
        if tag == "form":
            self.current = Form(
                action=attr.get("action", ""),
                method=attr.get("method", "get").lower(),
                enctype=attr.get("enctype", ""),
            )
            self.forms.append(self.current)
            return
        if tag == "option" and self.select is not None:
            self.select.options.append(attr.get("value", ""))
            if "selected" in attr:
                self.select.value = attr.get("value", "")
            return
        form = self.current
        name = attr.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = attr.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                if name not in form.fields:
                    form.fields[name] = Field(name, "hidden", attr.get("value", ""))
                return
            sent = kind not in ("checkbox", "radio") or "checked" in attr
            value = attr.get("value", "" if kind not in ("checkbox", "radio") else "on")
            existing = form.fields.get(name)
            if existing is not None and kind in ("checkbox", "radio"):
                existing.options.append(value)
                if sent:
                    existing.value = value
                return
            form.fields[name] = Field(name, kind, value if sent else None, [value])
        elif tag == "textarea":
            form.fields[name] = Field(name, "textarea", "")
        elif tag == "select":
            self.select = Field(name, "select", None)
            form.fields[name] = self.select

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data: str) -> None:
        return


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def link_params(links: list[str], path: str) -> set[str]:
    """Return the query keys of links that point to `path` (or to "?...")."""
    keys = set()
    for link in links:
        parts = urlsplit(link)
        if parts.path in ("", path):
            keys.update(key for key, _ in parse_qsl(parts.query, True))
    return keys
