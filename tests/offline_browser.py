"""Opening a report in Debian's Chromium with the network cut off (shared by the HTML report tests)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def open_offline(report: Path, shot: Path) -> dict:
    """Open ``report`` offline, screenshot it to ``shot``; counts of charts (drawn or not), the page text and
    every request that left the machine (``remote``)."""
    from playwright.sync_api import sync_playwright

    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            try:
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20000)
            except Exception:  # no chart drew: the caller decides whether that is right
                pass
            out = {"plots": page.locator(".js-plotly-plot").count(),
                   "drawn": page.locator(".js-plotly-plot .main-svg").count(),
                   "divs": page.locator(".plotly-graph-div").count(),
                   "notice": page.locator(".asdm-no-plotly").count(),
                   "text": page.inner_text("body")}
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    out["remote"] = [u for u in requests if not u.startswith("file://") and not u.startswith("data:")]
    return out
