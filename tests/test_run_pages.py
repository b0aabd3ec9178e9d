"""The run folder's front pages: index.html leads with the recommendation, summary.html sorts and filters offline.

The pages are built from a summary frame made the way the batch makes it (each option's figures at OBC, fewer
draws) and read back as a reader would: what comes first, which figures are printed, which links are there; the
sorting and filtering script is run in Debian's Chromium.
"""

from __future__ import annotations

import html as _html
import re

import pandas as pd
import pytest

from asdm_models import PROJECT_ROOT, load_appraisal
from asdm_models.business_case import options_overview, recommend
from asdm_models.run_pages import index_html, stage_recommendations, summary_html
from asdm_models.units import format_probability

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def leisure():
    return load_appraisal(PROJECT_ROOT / "data" / "example_leisure")


@pytest.fixture(scope="module")
def summary(leisure):
    """Base and a pessimistic copy (with a higher chance for one option, as a scenario fixing drivers gives)."""
    base = options_overview(leisure, "obc", draws=300, seed=7)
    base["scenario"], base["status"], base["error"] = "base", "ok", None
    pess = base.copy()
    pess["scenario"] = "pessimistic"
    pess["npsv_vs_no_change_gbp"] -= 500_000.0
    mask = pess["option"] == "in_house_redesign"
    pess.loc[mask, "prob_beats_no_change"] = 0.999  # fixed drivers: a narrower spread, a higher chance
    return pd.concat([pess, base], ignore_index=True)  # base not first: the page must put it first


def _text(html: str) -> str:
    return _html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace("\u2060", "")


def _reports(leisure):
    reps = [{"name": f"{o}-obc", "option": o, "stage": "obc", "status": "ok", "error": None, "metrics": []}
            for o in leisure.options]
    reps.append({"name": "options_appraisal", "option": None, "stage": None, "status": "ok", "error": None})
    reps.append({"name": "results.xlsx", "kind": "output", "option": None, "stage": None, "status": "ok",
                 "error": None})
    return reps


def test_index_opens_with_the_recommendation_then_the_options_then_the_links(leisure, summary, tmp_path):
    (tmp_path / "results.xlsx").write_bytes(b"x")
    (tmp_path / "pack-obc.pdf").write_bytes(b"x")
    (tmp_path / "slides-obc.pptx").write_bytes(b"x")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "trading_company-obc-fan.png").write_bytes(b"x")
    page = index_html(leisure, _reports(leisure), "RUN1", "base", tmp_path, summary=summary)
    text = _text(page)
    base = summary[summary["scenario"] == "base"]
    choice, _ = recommend(base)
    # independent of the page: the recommended option is the highest NPSV among short-listed options that pass
    ok = base[base["shortlisted"] & (base["model"] != "no_change") & (base["gate"] != "stop")
              & (base["npsv_vs_no_change_gbp"] > 0)]
    assert choice["option"] == ok.sort_values("npsv_vs_no_change_gbp").iloc[-1]["option"]
    npsv_m = f"+£{choice['npsv_vs_no_change_gbp'] / 1e6:.2f}m"
    rec_at = text.index(f"Outline business case: {choice['name']}")
    assert npsv_m in text[rec_at:rec_at + 400]
    assert format_probability(choice["prob_beats_no_change"]) in text[rec_at:rec_at + 400]
    assert f"Gate: {choice['gate']}" in text[rec_at:rec_at + 600]
    assert "every test met" in text[rec_at:rec_at + 600] or "not met" in text[rec_at:rec_at + 600]
    table_at = text.index("The options side by side")
    links_at = text.index("Reports and outputs")
    assert rec_at < table_at < links_at
    for href in ("results.xlsx", "pack-obc.pdf", "slides-obc.pptx", "figures/", "summary.html", "manifest.json",
                 "options_appraisal.html", "trading_company-obc.html"):
        assert f'href="{href}"' in page or f"href={href}" in page, href
    # the base-case table holds every option once, in £m, the pessimistic rows left out
    table = text[table_at:links_at]
    for name in base["name"]:
        assert table.count(name) == 1, name
    worst = base.sort_values("npsv_vs_no_change_gbp").iloc[0]
    assert f"\u2212£{abs(worst['npsv_vs_no_change_gbp']) / 1e6:.2f}m" in table
    assert "-£" not in text  # no hyphen-minus before money anywhere


def test_index_says_why_when_the_recommendation_is_no_change(leisure, summary, tmp_path):
    s = summary.copy()
    s.loc[s["model"] != "no_change", "gate"] = "stop"
    recs = stage_recommendations(leisure, s, "base")
    assert recs[0]["option"] is None
    page = _text(index_html(leisure, _reports(leisure), "RUN1", "base", tmp_path, summary=s))
    assert "No change (keep the service as it is)" in page and "passes the gate" in page


def test_index_lists_only_outputs_that_are_there(leisure, summary, tmp_path):
    page = index_html(leisure, _reports(leisure), "RUN1", "base", tmp_path, summary=summary)
    assert "pack-obc.pdf" not in page and "slides-" not in page and "figures/" not in page


def test_index_reads_the_summary_from_the_run_folder_when_not_given(leisure, summary, tmp_path):
    summary.to_csv(tmp_path / "summary.csv", index=False)
    page = _text(index_html(leisure, _reports(leisure), "RUN1", "base", tmp_path))
    assert "Outline business case:" in page and "The options side by side" in page


def test_summary_puts_the_base_case_first_links_every_row_and_explains_fixed_drivers(leisure, summary):
    page = summary_html(leisure, summary, "RUN1")
    rows = re.findall(r'<tr data-stage="([^"]*)" data-scenario="([^"]*)" data-option="([^"]*)">(.*?)</tr>', page)
    assert len(rows) == len(summary)
    scen = [r[1] for r in rows]
    assert scen == sorted(scen, key=lambda s: s != "base")  # every base row before any other
    for _, _, option, cells in rows:
        assert f'href="{option}-obc.html"' in cells
    assert "<script src" not in page and "http" not in page.split("<script>")[1]  # offline: nothing fetched
    text = _text(page)
    assert "no longer uncertain" in text and "Marked *" in text
    marked = [r for r in rows if " *</td>" in r[3]]
    assert [r[2] for r in marked] == ["in_house_redesign"]
    assert "-£" not in text and "\u2212£" in text


@pytest.mark.browser  # skipped only where Chromium cannot be had, never in CI (tests/conftest.py)
def test_summary_sorts_and_filters_in_the_browser(leisure, summary, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "summary.html"
    path.write_text(summary_html(leisure, summary, "RUN1"), encoding="utf-8")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            pg = b.new_page(viewport={"width": 1024, "height": 800})
            pg.goto(path.as_uri())
            assert pg.locator("tbody tr:visible").count() == len(summary)
            pg.select_option('select[data-filter="scenario"]', "pessimistic")
            assert pg.locator("tbody tr:visible").count() == (summary["scenario"] == "pessimistic").sum()
            pg.select_option('select[data-filter="option"]', "trading_company")
            assert pg.locator("tbody tr:visible").count() == 1
            pg.select_option('select[data-filter="option"]', "")
            pg.select_option('select[data-filter="scenario"]', "base")
            pg.click('th[data-col="3"]')  # NPSV vs no change, ascending: by number, not by text
            got = pg.eval_on_selector_all("tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.option)")
            want = list(summary[summary["scenario"] == "base"].sort_values("npsv_vs_no_change_gbp", kind="stable")["option"])
            assert got == want
            pg.click('th[data-col="3"]')
            got = pg.eval_on_selector_all("tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.option)")
            assert got[0] == want[-1]
        finally:
            b.close()
