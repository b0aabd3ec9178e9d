"""The assumptions workbook: template, import, the round trip bit for bit, errors by sheet and cell."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from asdm_models import OPTION_MODELS, PROJECT_ROOT, appraise, load_appraisal
from asdm_models.errors import AsdmError, DataErrors
from asdm_models.excel_io import (APPRAISAL_SHEET, LINE_ACCOUNTS_VALID, LINE_PER_VALID, LINE_TYPES_VALID, LISTS_SHEET,
                                  RISKS_SHEET, UNCERTAIN_SHEET, import_workbook, read_workbook, write_template)
from asdm_models.outputs import ordinary_mode

FORMULA_NAME = "=cmd|' /C calc'!A0"


def copy_data(dest: Path, example: str) -> Path:
    shutil.copytree(PROJECT_ROOT / "data" / example, dest / example)
    if not (dest / "reference").exists():
        shutil.copytree(PROJECT_ROOT / "data" / "reference", dest / "reference")
    return dest / example


def folder_state(d: Path) -> dict:
    return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def find(ws, text, column=1):
    """The row whose cell in ``column`` holds ``text`` (the first)."""
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not on {ws.title}")


def cell_of(ws, row_key, header, block_title, key_column=1):
    """The cell in ``header``'s column of the row of block ``block_title`` whose ``key_column`` holds ``row_key``."""
    start = find(ws, block_title)
    r = next(c.row for (c,) in ws.iter_rows(min_row=start, min_col=key_column, max_col=key_column) if c.value == row_key)
    col = next(c.column for c in ws[start + 1] if c.value == header)  # the block's header row
    return ws.cell(row=r, column=col)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """One template per example, written once from the bundled data (tests copy it before editing)."""
    tmp = tmp_path_factory.mktemp("books")
    return {ex: write_template(PROJECT_ROOT / "data" / ex, tmp / f"{ex}.xlsx")
            for ex in ("example_leisure", "example_depot")}


def workbook_and_data(books, example, tmp_path):
    data = copy_data(tmp_path, example)
    book = tmp_path / f"{example}.xlsx"
    shutil.copyfile(books[example], book)
    return data, book


@pytest.fixture(scope="module", params=["example_leisure", "example_depot"])
def round_trip(request, books, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    data, book = workbook_and_data(books, request.param, tmp)
    scenarios = folder_state(data / "scenarios")
    result = import_workbook(book, data)
    return request.param, data, book, result, scenarios


def test_round_trip_reproduces_the_yaml_data(round_trip):
    example, data, _book, result, _s = round_trip
    src = PROJECT_ROOT / "data" / example
    originals = ["appraisal.yaml"] + [f"options/{p.name}" for p in sorted((src / "options").glob("*.yaml"))]
    assert sorted(p.relative_to(data).as_posix() for p in result.written) == sorted(originals)
    assert result.removed == []
    for name in originals:
        assert yaml.safe_load((data / name).read_text()) == yaml.safe_load((src / name).read_text()), name


def test_round_trip_reproduces_every_appraisal_bit_for_bit(round_trip):
    example, data, _book, _r, scenarios = round_trip
    a, b = load_appraisal(PROJECT_ROOT / "data" / example), load_appraisal(data)
    assert list(a.options) == list(b.options)
    for stage in ("obc", "fbc"):
        for o in a.options:
            ra, rb = appraise(a, o, stage), appraise(b, o, stage)
            assert ra.headline() == rb.headline(), (o, stage)  # exact: no tolerance
            for frame in ("lines", "economic_case", "financial_case", "reconciliation_vs_no_change"):
                pd.testing.assert_frame_equal(getattr(ra, frame), getattr(rb, frame), check_exact=True)
            if ra.entity_accounts is not None:
                pd.testing.assert_frame_equal(ra.entity_accounts, rb.entity_accounts, check_exact=True)
            assert ra.inputs.values == rb.inputs.values
    assert folder_state(data / "scenarios") == scenarios  # not in the workbook: untouched


def test_template_layout_numbers_and_lists(round_trip):
    example, data, book, _r, _s = round_trip
    assert (book.stat().st_mode & 0o777) == ordinary_mode()
    wb = openpyxl.load_workbook(book)
    a = load_appraisal(data)
    assert wb.sheetnames[:2] == ["Read me", APPRAISAL_SHEET]
    assert wb.sheetnames[2:-3] == list(a.options)
    assert wb.sheetnames[-3:] == [RISKS_SHEET, UNCERTAIN_SHEET, LISTS_SHEET]
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    ws = wb[APPRAISAL_SHEET]
    pay = cell_of(ws, "pay_inflation", "value", "Economy")
    assert isinstance(pay.value, float) and "%" in pay.number_format  # a rate is a number shown as a percentage
    fte = cell_of(ws, "staff_cost_per_fte_gbp", "value", "Current service")
    assert isinstance(fte.value, int) and '"£"#,##0' in fte.number_format
    # drop-down lists come from the package's tables and the reference data
    lists = wb[LISTS_SHEET]
    columns = {lists.cell(row=1, column=j).value: [lists.cell(row=i, column=j).value for i in range(2, lists.max_row + 1)
                                                   if lists.cell(row=i, column=j).value is not None]
               for j in range(1, lists.max_column + 1)}
    assert columns["model"] == list(OPTION_MODELS)
    assert columns["optimism_bias_category"] == list(a.reference.optimism_bias)
    assert columns["capital_allowance"] == list(a.reference.capital_allowances)
    assert columns["confidence"] == ["high", "medium", "low"]
    opt = wb[list(a.options)[1]]
    model = cell_of(opt, "model", "value", "Option settings")
    dv = [d for d in opt.data_validations.dataValidation if model.coordinate in d.sqref]
    assert len(dv) == 1 and dv[0].type == "list" and dv[0].errorStyle == "stop"
    col = [k for k, v in columns.items() if v == list(OPTION_MODELS)][0]
    letter = openpyxl.utils.get_column_letter(list(columns).index(col) + 1)
    assert dv[0].formula1 == f"{LISTS_SHEET}!${letter}$2:${letter}${len(OPTION_MODELS) + 1}"
    for ws in wb:
        if ws.title != "Read me":
            assert ws.freeze_panes, ws.title


def test_template_is_the_same_bytes_every_time(round_trip, books, tmp_path):
    example, data, _book, _r, _s = round_trip
    first = books[example].read_bytes()
    # the imported folder gives the very same workbook: the round trip is closed
    assert write_template(data, tmp_path / "again.xlsx").read_bytes() == first


def test_a_broken_workbook_names_sheet_and_cell_and_writes_nothing(books, tmp_path):
    data, book = workbook_and_data(books, "example_leisure", tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["trading_company"]
    amount = cell_of(ws, "it_systems", "amount_gbp", "One-off costs")
    amount.value = "lots"  # text in a number cell
    model = cell_of(ws, "model", "value", "Option settings")
    model.value = "teckal_company"  # not in the drop-down list (pasted)
    del wb[RISKS_SHEET]  # a missing sheet
    wb.save(tmp_path / "broken.xlsx")
    before = folder_state(data)
    with pytest.raises(DataErrors) as e:
        import_workbook(tmp_path / "broken.xlsx", data)
    lines = str(e.value).splitlines()[1:]
    by_file = {x.file: x for x in e.value.errors}
    assert set(by_file) == {"broken.xlsx:Risks", f"broken.xlsx:trading_company!{model.coordinate}",
                            f"broken.xlsx:trading_company!{amount.coordinate}"}, lines
    assert "sheet missing" in by_file["broken.xlsx:Risks"].message
    m = by_file[f"broken.xlsx:trading_company!{model.coordinate}"]
    assert m.field == "model" and "'teckal_company' is not valid (did you mean 'trading_company'?)" in m.message
    assert "valid: no_change, in_house_redesign" in m.message
    a = by_file[f"broken.xlsx:trading_company!{amount.coordinate}"]
    assert a.field == "one_off_costs[it_systems].amount_gbp" and "expected a number, got 'lots'" in a.message
    assert len(lines) == 3 and all(x.startswith("broken.xlsx:") for x in lines)  # one line per problem
    assert folder_state(data) == before  # nothing written


def test_loader_errors_point_at_their_cells(books, tmp_path):
    data, book = workbook_and_data(books, "example_depot", tmp_path)
    wb = openpyxl.load_workbook(book)
    risks = wb[RISKS_SHEET]
    prob = cell_of(risks, "construction_overrun", "probability", "Risk register", key_column=2)
    prob.value = 1.7  # more than 100%
    unc = wb[UNCERTAIN_SHEET]
    r = find(unc, "capital.depot_contribution.amount_gbp", column=3)  # shared service: another file than the risk
    low = next(c for c in unc[find(unc, "applies_to")] if c.value == "low")
    unc.cell(row=r, column=low.column).value = 2_500_000  # above the mode
    rate = cell_of(wb[APPRAISAL_SHEET], "pay_inflation", "value", "Economy")
    rate.value, rate.number_format = 3.5, "General"  # 3.5 in a rate: did you mean 3.5%?
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(DataErrors) as e:
        import_workbook(tmp_path / "bad.xlsx", data)
    got = {x.file: x.message for x in e.value.errors}
    assert "did you mean 3.5%?" in got[f"bad.xlsx:Appraisal!{rate.coordinate}"]
    assert "not a probability" in got[f"bad.xlsx:Risks!{prob.coordinate}"]
    assert any(k.startswith("bad.xlsx:Uncertain!") and "out of order" in v for k, v in got.items()), got


def test_edits_in_the_workbook_reach_the_appraisal(books, tmp_path):
    data, book = workbook_and_data(books, "example_leisure", tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["trading_company"]
    eff = cell_of(ws, "staff_efficiency_rate", "value", "Drivers at the outline business case")
    assert eff.value == 0.05 and eff.number_format == "0%"
    eff.value = 0.065  # typed 6.5% in Excel
    name = cell_of(ws, "name", "value", "Option settings")
    name.value = "'" + FORMULA_NAME  # how the template writes text that starts like a formula
    wb.save(book)
    import_workbook(book, data)
    text = (data / "options" / "trading_company.yaml").read_text()
    assert "staff_efficiency_rate: {value: 6.5%," in text  # what the cell showed is what the file says
    a = load_appraisal(data)
    assert a.options["trading_company"].drivers["staff_efficiency_rate"].value == 0.065
    assert a.options["trading_company"].name == FORMULA_NAME
    # and the formula-like name goes out to a new template as text, never as a formula
    again = openpyxl.load_workbook(write_template(data, tmp_path / "again.xlsx"))
    cell = cell_of(again["trading_company"], "name", "value", "Option settings")
    assert cell.data_type == "s" and cell.value == "'" + FORMULA_NAME


def test_removing_an_option_sheet_removes_its_file_and_scenarios_must_still_hold(books, tmp_path):
    data, book = workbook_and_data(books, "example_depot", tmp_path)
    wb = openpyxl.load_workbook(book)
    del wb["outsourcing"]
    for name in (RISKS_SHEET, UNCERTAIN_SHEET):
        ws = wb[name]
        for row in ws.iter_rows(min_row=6):
            if row[0].value == "outsourcing":
                for c in row:
                    c.value = None
    wb.save(tmp_path / "fewer.xlsx")
    before = folder_state(data)
    with pytest.raises(DataErrors) as e:  # the scenarios still change the outsourcing option
        import_workbook(tmp_path / "fewer.xlsx", data)
    assert {(x.file, x.field) for x in e.value.errors} == {("example_depot/scenarios/optimistic.yaml", "changes.outsourcing"),
                                                          ("example_depot/scenarios/pessimistic.yaml", "changes.outsourcing")}
    assert folder_state(data) == before
    shutil.rmtree(data / "scenarios")
    result = import_workbook(tmp_path / "fewer.xlsx", data)
    assert result.removed == [data / "options" / "outsourcing.yaml"]
    assert "outsourcing" not in load_appraisal(data).options


def test_drop_down_lists_the_loader_spells_inline_agree_with_it(tmp_path):
    """type, per and accounts of a line are checked inline by the loader: its message lists the same values."""
    data = copy_data(tmp_path, "example_leisure")
    app = data / "appraisal.yaml"
    original = app.read_text()
    for field, valid in (("type", LINE_TYPES_VALID), ("per", LINE_PER_VALID), ("accounts", LINE_ACCOUNTS_VALID)):
        app.write_text(original.replace("      type: income\n", f"      type: income\n      {field}: bogus\n", 1)
                       if field != "type" else original.replace("      type: income\n", "      type: bogus\n", 1))
        with pytest.raises(DataErrors) as e:
            load_appraisal(data)
        assert any(f"expected one of {', '.join(valid)}" in x.message for x in e.value.errors), (field, e.value)


def test_read_workbook_gives_the_data_without_writing(round_trip):
    example, data, book, _r, _s = round_trip
    files = read_workbook(book, data)
    assert files["appraisal.yaml"]["appraisal"] == example
    assert set(files) == {"appraisal.yaml"} | {f"options/{o}.yaml" for o in load_appraisal(data).options}


def test_a_value_a_cell_cannot_hold_exactly_is_refused_not_rounded(tmp_path):
    data = copy_data(tmp_path, "example_depot")
    f = data / "options" / "outsourcing.yaml"
    text = f.read_text()
    assert "provider_margin_rate: {value: 6%," in text
    # 0.05 + 0.01 as Python computes it: 17 significant digits, one more than a cell keeps
    f.write_text(text.replace("provider_margin_rate: {value: 6%,", "provider_margin_rate: {value: 0.060000000000000005,"))
    with pytest.raises(AsdmError, match="more significant digits"):
        write_template(data, tmp_path / "book.xlsx")
    assert not (tmp_path / "book.xlsx").exists()


def test_import_keeps_the_sections_the_workbook_does_not_carry(books, tmp_path):
    # The commercial case, the transition plan, the non-monetised impacts, the VAT position, a council loan and the
    # management arrangements live in the YAML only: an import rewrites the files from the workbook and must keep
    # them exactly as they were, never drop them.
    from asdm_models.excel_io import KEPT_IN_YAML

    data, book = workbook_and_data(books, "example_leisure", tmp_path)
    before = {f: yaml.safe_load((data / f).read_text()) for f in ("appraisal.yaml", "options/trading_company.yaml")}
    assert "transition" in before["options/trading_company.yaml"] and "commercial" in before["options/trading_company.yaml"]
    import_workbook(book, data)
    for f, was in before.items():
        now = yaml.safe_load((data / f).read_text())
        kept = KEPT_IN_YAML["appraisal.yaml" if f == "appraisal.yaml" else "option"]
        assert {k: now.get(k) for k in kept if k in was} == {k: was[k] for k in kept if k in was}, f
    a = load_appraisal(data)
    plan = a.options["trading_company"].transition
    assert plan is not None and plan.go_live.date.isoformat() == "2027-04-01"
    assert a.options["trading_company"].commercial.procurement_route == "vertical_arrangement"
    assert a.vat_partial_exemption is not None and a.management.benefits_owner == "Director of Place"
