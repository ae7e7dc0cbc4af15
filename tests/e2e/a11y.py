"""axe-core (bundled by axe-playwright-python) at WCAG 2.2 AA, for every browser test.

`assert_accessible(page, label)` runs axe on the page as it is now and fails with
each violated rule, its impact and the first offending elements; `label` names
the page and state in the failure ("registration page, fr, mobile, form error").
`VIEWPORTS` are the two sizes every page is checked at. With
`best_practice=True` axe's best practices are checked too, `region` among
them (all content in landmarks): the sandbox's hosted pages pass them all.
"""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "mobile": {"width": 390, "height": 844},
}

# Only the violations are wanted: axe lists each passed or inapplicable rule with
# one node instead of every one (its result crosses to Python as JSON).
OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_22_AA},
    "resultTypes": ["violations"],
}
BEST_PRACTICE_OPTIONS = {
    **OPTIONS,
    "runOnly": {"type": "tag", "values": [*WCAG_22_AA, "best-practice"]},
}
_AXE_SOURCE = Axe().axe_script


def violations(page: Page, *, best_practice: bool = False) -> list[dict]:
    """Return axe's violations of WCAG 2.2 A/AA rules on the page as it is now."""
    # axe-core is injected once per document (not again at each viewport).
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_AXE_SOURCE)
    options = BEST_PRACTICE_OPTIONS if best_practice else OPTIONS
    results = page.evaluate("options => axe.run(document, options)", options)
    return results["violations"]


def describe(found: list[dict]) -> str:
    lines = []
    for rule in found:
        targets = [", ".join(node["target"]) for node in rule["nodes"][:3]]
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} at {targets}")
    return "\n".join(lines)


def assert_accessible(page: Page, label: str, *, best_practice: bool = False) -> None:
    found = violations(page, best_practice=best_practice)
    assert not found, f"axe found violations on {label}:\n{describe(found)}"
    assert_reflows(page, label)


def assert_reflows(page: Page, label: str) -> None:
    """WCAG 1.4.10 (Reflow): nothing makes the page scroll sideways.

    At the mobile viewport (390 px, above the criterion's 320) the document is
    no wider than the window: a long URL or address wraps.
    """
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(-3).map(e => e.outerHTML.slice(0, 160))"""
    )
    assert widths[0] <= widths[1], (
        f"{label}: the page is {widths[0]} px wide in a {widths[1]} px window: {wide}"
    )
