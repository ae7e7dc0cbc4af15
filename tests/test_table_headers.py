"""Every table header has a name (axe `empty-table-header`): an actions column
names itself for screen readers only."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def test_no_template_has_an_empty_table_header():
    empty = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EMPTY_HEADER.search(line)
    ]
    assert empty == []
