"""results.xlsx of a run: read back with openpyxl, every number compared with summary.csv and the package API.

One small run is made for the module (two options, OBC only, 200 draws: about 10 s), from a copy of the
leisure example whose trading company is called ``=cmd|' /C calc'!A0``, so that every test also sees
the formula-like name go through.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import time
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest

from asdm_models import PROJECT_ROOT, appraise, load_appraisal
from asdm_models.batch import run_batch
from asdm_models.business_case import ENTITY_LABELS, FINANCIAL_LABELS
from asdm_models.errors import RunError
from asdm_models.outputs import FORMULA_PREFIXES, ordinary_mode, spreadsheet_safe
from asdm_models.units import fy_label
from asdm_models.workbook import HEADER_ROW, MONEY, PERCENT, RESULTS_FILE, write_results_workbook

OPTIONS = ["no_change", "trading_company"]
FORMULA_NAME = "=cmd|' /C calc'!A0"
PENNY = 0.005


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", root / "example_leisure")
    shutil.copytree(PROJECT_ROOT / "data" / "reference", root / "reference")
    opt = root / "example_leisure" / "options" / "trading_company.yaml"
    # A JSON string is a valid YAML double-quoted scalar: the name is exactly FORMULA_NAME.
    opt.write_text(re.sub(r"^name: .*$", "name: " + json.dumps(FORMULA_NAME), opt.read_text(), count=1, flags=re.M))
    result = run_batch(root / "example_leisure", tmp_path_factory.mktemp("out"), options=OPTIONS, stages=["obc"],
                       draws=200, jobs=2, progress=False)
    assert result.ok, result.reports
    t = time.perf_counter()
    path = write_results_workbook(result.run_dir)
    seconds = time.perf_counter() - t
    appraisal = load_appraisal(root / "example_leisure")
    return SimpleNamespace(dir=result.run_dir, path=path, seconds=seconds, appraisal=appraisal, data=root,
                           wb=openpyxl.load_workbook(path),
                           manifest=json.loads((result.run_dir / "manifest.json").read_text()))


def table(ws, header_row=HEADER_ROW):
    """The table under ``header_row``: (headers, rows of cells) down to the first empty row."""
    headers = [c.value for c in ws[header_row] if c.value is not None]
    rows = []
    for r in range(header_row + 1, ws.max_row + 1):
        cells = [ws.cell(row=r, column=j + 1) for j in range(len(headers))]
        if all(c.value is None for c in cells):
            break
        rows.append(cells)
    return headers, rows


def csv_rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def same_money(cell, expected):
    """A number cell equal to the figure to the penny (openpyxl keeps 16 significant digits)."""
    assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool), (cell.coordinate, cell.value)
    assert abs(cell.value - expected) < PENNY, (cell.coordinate, cell.value, expected)
    assert math.isclose(cell.value, expected, rel_tol=1e-15, abs_tol=1e-9), (cell.coordinate, cell.value, expected)


def results(run):
    return {o: appraise(run.appraisal, o, "obc") for o in OPTIONS}


def test_results_xlsx_is_in_the_run_folder_with_every_sheet(run):
    assert run.path == run.dir / RESULTS_FILE and run.path.is_file()
    names = run.wb.sheetnames
    assert names == ["Summary", "Economic obc no_change", "Economic obc trading_company", "Council budget by year",
                     "Entity accounts", "Monte Carlo", "Assumptions", "Provenance"]
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)


def test_summary_sheet_holds_every_figure_of_summary_csv(run):
    expected = csv_rows(run.dir / "summary.csv")
    headers, rows = table(run.wb["Summary"])
    assert headers == list(expected[0])
    assert len(rows) == len(expected)
    numbers = 0
    for cells, want in zip(rows, expected):
        for h, cell in zip(headers, cells):
            text = want[h]
            if text == "":
                assert cell.value is None, (h, cell.coordinate)  # does not apply: empty, never 0
            elif h == "shortlisted":
                assert cell.value is (text == "True")
            elif h in ("option", "model", "stage", "scenario", "name", "gate", "status", "error", "shortlist_role",
                       "vfm_category", "pension_arrangement") or ("year" in h and h != "teckal_years_failing"):
                assert cell.value == spreadsheet_safe(text), (h, cell.coordinate)
            else:
                same_money(cell, float(text))
                numbers += 1
    assert numbers > 50


def test_economic_case_line_by_line_matches_appraise(run):
    for o, r in results(run).items():
        ws = run.wb[f"Economic obc {o}"]
        headers, rows = table(ws)
        by_line = {cells[0].value: cells for cells in rows}
        ec = r.economic_case.set_index("line")
        rec = r.reconciliation_vs_no_change.set_index("line")
        shown = [line for line in ec.index
                 if max(abs(ec.loc[line, c]) for c in ("option_pv_gbp", "no_change_pv_gbp", "vs_no_change_pv_gbp"))
                 >= PENNY or abs(rec.loc[line, "council_vs_no_change_gbp"]) >= PENNY]
        assert list(by_line) == shown
        for line in shown:
            cells = by_line[line]
            for j, v in ((3, ec.loc[line, "option_pv_gbp"]), (4, ec.loc[line, "no_change_pv_gbp"]),
                         (5, ec.loc[line, "vs_no_change_pv_gbp"]), (6, rec.loc[line, "council_vs_no_change_gbp"]),
                         (7, rec.loc[line, "difference_gbp"])):
                same_money(cells[j], float(v))
        assert abs(sum(c[3].value for c in rows) - r.npsv_gbp) < PENNY  # the lines add up to the NPSV
        totals = {ws.cell(row=k, column=1).value: k for k in range(HEADER_ROW + len(rows) + 1, ws.max_row + 1)}
        k = totals["npsv"]
        for j, v in ((4, r.npsv_gbp), (5, r.npsv_gbp - r.npsv_vs_no_change_gbp), (6, r.npsv_vs_no_change_gbp),
                     (7, r.council_npv_vs_no_change_gbp)):
            same_money(ws.cell(row=k, column=j), v)
        same_money(ws.cell(row=totals["npsv_unadjusted"], column=4), r.npsv_unadjusted_gbp)
        assert ws.cell(row=k, column=4).number_format == MONEY
    # the recorded headline and the recomputed detail agree: the detail is the run's own
    summary = {(x["option"], x["scenario"]): x for x in csv_rows(run.dir / "summary.csv")}
    for o, r in results(run).items():
        assert abs(float(summary[(o, "base")]["npsv_gbp"]) - r.npsv_gbp) < PENNY


def test_budget_by_year_and_entity_accounts_match_appraise(run):
    years = run.appraisal.years
    for sheet, frame_of, labels in (("Council budget by year", lambda r: r.financial_case, FINANCIAL_LABELS),
                                    ("Entity accounts", lambda r: r.entity_accounts, ENTITY_LABELS)):
        headers, rows = table(run.wb[sheet])
        assert headers == ["option", "option name", "stage", "row", "row key"] + years
        seen = set()
        for cells in rows:
            o, key = cells[0].value, cells[4].value
            frame = frame_of(results(run)[o])
            assert frame is not None, (sheet, o)  # no change has no entity: no rows for it here
            assert cells[3].value.startswith(labels[key].split(":")[0])
            for j, y in enumerate(years):
                same_money(cells[5 + j], float(frame.loc[key, y]))
                assert cells[5 + j].number_format == MONEY
            seen.add((o, key))
        if sheet == "Entity accounts":
            assert seen == {("trading_company", k) for k in results(run)["trading_company"].entity_accounts.index}
        else:
            assert {k for o, k in seen if o == "trading_company"} == set(FINANCIAL_LABELS)


def test_monte_carlo_sheet_is_what_the_run_recorded(run):
    headers, rows = table(run.wb["Monte Carlo"])
    recorded = [x for x in csv_rows(run.dir / "summary.csv") if x["mc_draws"]]
    assert len(rows) == len(recorded) and len(rows) >= 1
    cols = {"P10 NPSV vs no change": "p10_npsv_vs_no_change_gbp", "P50 NPSV vs no change": "p50_npsv_vs_no_change_gbp",
            "P90 NPSV vs no change": "p90_npsv_vs_no_change_gbp", "chance of beating no change": "prob_beats_no_change",
            "mean NPSV vs no change": "mean_npsv_vs_no_change_gbp", "draws": "mc_draws"}
    for cells, want in zip(rows, recorded):
        got = dict(zip(headers, cells))
        assert got["option"].value == want["option"] and got["scenario"].value == want["scenario"]
        for h, c in cols.items():
            same_money(got[h], float(want[c]))
        assert got["chance of beating no change"].number_format == PERCENT
        assert got["draws"].value == 200


def test_assumption_register_values_are_numbers_used_by_the_model(run):
    headers, rows = table(run.wb["Assumptions"])
    assert headers[:7] == ["option", "stage", "applies to", "assumption", "path", "value", "unit"]
    res = results(run)
    checked = 0
    for cells in rows:
        r = res[cells[0].value]
        path, value, unit = cells[4].value, cells[5], cells[6].value
        x = r.inputs.values[path]
        if unit == "year":
            assert value.value == fy_label(run.appraisal.first_year + int(x))
        else:
            assert isinstance(value.value, (int, float)) and value.value == pytest.approx(x, rel=1e-15)
            assert ("%" in value.number_format) == (unit == "rate")
            checked += 1
        assert cells[8].value  # every row names its source (or "not stated")
    assert checked > 40


def test_provenance_names_the_run_its_seed_and_every_input_hash(run):
    ws = run.wb["Provenance"]
    facts = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    m = run.manifest
    assert facts["run id"].value == m["run_id"]
    assert facts["seed"].value == m["seed"] and isinstance(facts["seed"].value, int)
    assert facts["Monte Carlo draws"].value == 200
    assert facts["scenario"].value == "base"
    assert facts["suite commit"].value == m["suite"]["commit"]
    assert facts["suite version (asdm)"].value == m["packages"]["asdm"]
    for rel, digest in m["inputs"].items():
        assert facts[rel].value == digest
    assert facts["notebooks/option_business_case.ipynb"].value == m["notebooks"]["notebooks/option_business_case.ipynb"]


def test_formats_frozen_headers_and_widths(run):
    for ws in run.wb:
        assert ws.freeze_panes and ws.freeze_panes.endswith(str(HEADER_ROW + 1)), ws.title
        headers, rows = table(ws)
        for j, _h in enumerate(headers):
            letter = openpyxl.utils.get_column_letter(j + 1)
            assert ws.column_dimensions[letter].width >= 6, (ws.title, letter)
    headers, rows = table(run.wb["Summary"])
    fmt = {h: {c.number_format for c, hh in zip(cells, headers) if hh == h and c.value is not None}
           for cells in rows[:1] for h in headers}
    assert fmt["npsv_gbp"] == {MONEY} and fmt["npsv_vs_no_change_gbp"] == {MONEY}
    sc = [c for cells in rows for c, h in zip(cells, headers) if h == "prob_beats_no_change" and c.value is not None]
    assert sc and {c.number_format for c in sc} == {PERCENT}
    money = [c for cells in rows for c, h in zip(cells, headers) if h.endswith("_gbp") and c.value is not None]
    assert money and all(isinstance(c.value, (int, float)) for c in money)  # numbers, never text
    # a width that fits: the widest money figure of a column is narrower than the column
    ws = run.wb["Summary"]
    col = headers.index("council_npv_gbp") + 1
    widest = max(len(f"£{abs(ws.cell(row=r, column=col).value):,.0f}") + 1
                 for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + len(rows)))
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width >= widest


def test_formula_like_text_is_neutralised(run):
    names = []
    for ws in run.wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(FORMULA_PREFIXES), (ws.title, c.coordinate, c.value)
                    if FORMULA_NAME in c.value:
                        names.append(c.value)
    assert "'" + FORMULA_NAME in names  # the option's name, shown as text
    with zipfile.ZipFile(run.path) as z:
        for n in z.namelist():
            if n.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(n) and b"<f " not in z.read(n)


def test_same_run_same_bytes_ordinary_permissions_and_fast(run):
    first = run.path.read_bytes()
    write_results_workbook(run.dir, run.appraisal)
    assert run.path.read_bytes() == first
    assert (run.path.stat().st_mode & 0o777) == ordinary_mode()
    assert not [p for p in run.dir.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    with zipfile.ZipFile(run.path) as z:
        core = z.read("docProps/core.xml").decode()
    assert run.manifest["started"][:19] in core  # dated by the run, not by the clock
    print(f"results.xlsx of 2 reports: {run.seconds:.2f} s")
    assert run.seconds < 10


def test_refuses_inputs_changed_since_the_run(run, tmp_path):
    shutil.copytree(run.data, tmp_path / "data")
    f = tmp_path / "data" / "example_leisure" / "options" / "trading_company.yaml"
    f.write_text(f.read_text().replace("value: 5%", "value: 6%", 1))
    with pytest.raises(RunError, match="trading_company.yaml"):
        write_results_workbook(run.dir, load_appraisal(tmp_path / "data" / "example_leisure"))


def test_can_be_written_before_the_manifest(run, tmp_path):
    """The batch writes manifest.json last: it can hand its manifest over and get the same workbook."""
    copy = tmp_path / run.dir.name  # the run's name is on the Provenance sheet
    shutil.copytree(run.dir, copy)
    (copy / "manifest.json").unlink()
    path = write_results_workbook(copy, run.appraisal, manifest=run.manifest)
    assert path.read_bytes() == run.path.read_bytes()


def test_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(RunError, match="no manifest.json"):
        write_results_workbook(tmp_path)


def test_documents_show_a_formula_like_name_as_written(run, tmp_path):
    """summary.csv neutralises the name for spreadsheets; the pack and the front page, which are not
    spreadsheets, show it exactly as the data state it (no stray apostrophe)."""
    import html as _html

    import pypdf

    from asdm_models.outputs import read_csv_written
    from asdm_models.pack import write_pack
    from asdm_models.run_pages import index_html

    assert "'" + FORMULA_NAME in (run.dir / "summary.csv").read_text()
    assert FORMULA_NAME in set(read_csv_written(run.dir / "summary.csv")["name"])
    copy = tmp_path / run.dir.name
    shutil.copytree(run.dir, copy)
    (pdf,) = [p for p in write_pack(copy) if p.suffix == ".pdf"]
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(pdf).pages)
    assert FORMULA_NAME in text and "'" + FORMULA_NAME not in text
    m = json.loads((copy / "manifest.json").read_text())
    page = index_html(run.appraisal, m["reports"], m["run_id"], m["scenario"], copy)
    assert _html.escape(FORMULA_NAME) in page and _html.escape("'" + FORMULA_NAME) not in page
