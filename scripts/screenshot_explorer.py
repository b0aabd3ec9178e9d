"""Screenshots of the explorer for the README (docs/explorer-*.png), at a 1366x768 laptop screen.

Serves the explorer as `make app` does (Voila, a free port), opens it in Debian's Chromium, and saves
the front sheet as it opens, and the Scenarios tab comparing the saved base, the example's scenarios and
a changed setting. Run: ``.venv/bin/python scripts/screenshot_explorer.py``.
"""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    spec = importlib.util.spec_from_file_location("serve_app", ROOT / "scripts" / "serve_app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    port, token = app.free_port(), secrets.token_urlsafe(8)
    proc = subprocess.Popen(app.voila_command(port, token), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not app.wait_until_up(port, proc, timeout=60):
            print("Voila did not start", file=sys.stderr)
            return 1
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(app.app_url(port, token), timeout=90_000)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=90_000)
            page.wait_for_selector(".asdm-headline td.asdm-p50-npsv:not([data-value=''])", timeout=60_000)
            time.sleep(1.0)
            page.screenshot(path=str(ROOT / "docs" / "explorer-1366x768.png"))
            box = page.locator(".asdm-driver-pay_inflation input").first
            box.fill("4.5%")
            box.press("Enter")
            page.locator(".lm-TabBar-tab", has_text="Scenarios").click()
            sel = page.locator(".asdm-compare-choices select")
            sel.select_option(value=None, label=[o for o in sel.locator("option").all_inner_texts()])
            page.locator(".asdm-compare-scenarios").click()
            page.wait_for_selector(".asdm-comparison table", timeout=60_000)
            page.wait_for_selector(".asdm-headline td.asdm-p50-npsv:not([data-value=''])", timeout=60_000)
            time.sleep(1.0)
            page.screenshot(path=str(ROOT / "docs" / "explorer-scenarios-1366x768.png"))
            browser.close()
    finally:
        app.stop(proc)
    print("wrote docs/explorer-1366x768.png and docs/explorer-scenarios-1366x768.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
