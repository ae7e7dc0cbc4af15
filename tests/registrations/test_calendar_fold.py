"""Calendar content lines folded at 75 octets (RFC 5545, 3.1)."""

from hypothesis import given
from hypothesis import strategies as st

from registrations.emails.calendar import fold

# A content line: anything but the line breaks folding inserts.
lines = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]))


def folded_octet_by_octet(line: str) -> str:
    """The definition: whole characters, 75 octets on the first line, 74 after."""
    parts, current, limit = [], b"", 75
    for char in line:
        if len(current) + len(char.encode()) > limit:
            parts.append(current.decode())
            current, limit = b"", 74
        current += char.encode()
    parts.append(current.decode())
    return "\r\n ".join(parts)


@given(lines)
def test_any_line_is_folded_as_the_definition_folds_it(line):
    assert fold(line) == folded_octet_by_octet(line)


@given(lines)
def test_unfolding_gives_the_line_back_and_no_line_is_longer_than_75_octets(line):
    folded = fold(line)

    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))


def test_an_ascii_link_is_cut_at_75_then_74_characters():
    link = "URL:https://tessera.example/j/" + "a" * 200

    first, *rest = fold(link).split("\r\n")

    assert len(first) == 75
    assert all(part.startswith(" ") and len(part) <= 75 for part in rest)
    assert [len(part) for part in rest[:-1]] == [75] * (len(rest) - 1)
