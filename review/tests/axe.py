"""axe-core in the browser tests: the ``axe-core`` npm package (frontend/package-lock.json),
served to the page from this repository through a Playwright route on the page's own origin, so
the page's Content-Security-Policy (``script-src 'self'``) stays as it is in production.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/static/__tests__/axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_source() -> str:
    if not AXE.exists():
        reason = f"axe-core not installed at {AXE} (run `npm ci` in frontend/)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return AXE.read_text()


def axe_violations(page, *, context: str = "document") -> list[dict]:  # noqa: ANN001
    """Run axe-core (WCAG 2.1 A and AA rules) on what the page shows now; the violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        source = axe_source()
        page.route(
            f"**{AXE_PATH}",
            lambda route: route.fulfill(
                status=200, body=source, headers={"Content-Type": "text/javascript"}
            ),
        )
        page.add_script_tag(url=AXE_PATH)
    return page.evaluate(
        """async ([context, tags]) => {
            const result = await axe.run(context === 'document' ? document : context,
                {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    (n) => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }""",
        [context, WCAG_21_AA],
    )


def assert_accessible(page, step: str) -> None:  # noqa: ANN001
    violations = axe_violations(page)
    assert not violations, f"axe-core WCAG 2.1 AA violations on the {step} step: {violations}"
