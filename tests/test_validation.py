"""Validation of appraisal data: every problem is found, and each message names file, field and line.

Each test copies the valid fixture ``tests/data/mini`` into ``tmp_path``, breaks one
thing and checks the :class:`~asdm_models.errors.DataError` it causes: the file,
the field (dotted path, with the row for lists), the line, that the message says
what was wrong and what would be valid, and that nothing else is reported (no
knock-on errors). A representative subset also runs ``asdm validate``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asdm_models.assumptions import load_appraisal
from asdm_models.cli import main
from asdm_models.errors import DataError, DataErrors
from asdm_models.reference import PROJECT_ROOT

MINI = Path(__file__).parent / "data" / "mini"
APP = "appraisal.yaml"
TC = "options/trading_company.yaml"
NC = "options/no_change.yaml"
SS = "options/shared_service.yaml"
SC = "scenarios/pessimistic.yaml"


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def mini(tmp_path) -> Path:
    """A fresh copy of the valid fixture appraisal, safe to break."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest)
    return dest


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace ``old`` (which must occur exactly once) with ``new`` in ``root/rel``."""
    p = root / rel
    text = p.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture {rel} should contain {old!r} exactly once"
    p.write_text(text.replace(old, new), encoding="utf-8")


def line_of(root: Path, rel: str, text: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of ``root/rel`` containing ``text``."""
    hits = [i for i, ln in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1) if text in ln]
    assert len(hits) >= nth, f"{text!r} not found {nth} times in {rel}"
    return hits[nth - 1]


def problems(root: Path) -> list[DataError]:
    with pytest.raises(DataErrors) as exc:
        load_appraisal(root)
    errs = exc.value.errors
    for e in errs:  # every message: one line, names its file
        assert "\n" not in str(e), str(e)
        assert e.file, str(e)
    return errs


def only(errs: list[DataError], rel: str, field: str) -> DataError:
    """The single error, checking it is in file ``mini/<rel>`` at ``field`` and that nothing else was reported."""
    assert len(errs) == 1, "expected exactly one problem, got:\n" + "\n".join(map(str, errs))
    return find(errs, rel, field)


def find(errs: list[DataError], rel: str, field: str) -> DataError:
    hits = [e for e in errs if e.file == f"mini/{rel}" and e.field == field]
    assert len(hits) == 1, f"no single error at mini/{rel} {field}; got:\n" + "\n".join(map(str, errs))
    e = hits[0]
    assert str(e).startswith(f"mini/{rel}"), str(e)
    if field:
        assert f" {field}:" in str(e), str(e)
    return e


def run_cli(root: Path, capsys) -> tuple[int, list[str], str]:
    code = main(["validate", str(root)])
    out = capsys.readouterr()
    return code, out.err.splitlines(), out.out + out.err


def assert_cli_reports(root: Path, capsys, errs: list[DataError]) -> list[str]:
    """``asdm validate`` exits 2, prints each problem on its own line (plus a count), and no traceback."""
    code, lines, everything = run_cli(root, capsys)
    assert code == 2
    assert "Traceback" not in everything
    assert lines[:-1] == [str(e) for e in errs]
    assert lines[-1] == f"{len(errs)} problem{'s' if len(errs) != 1 else ''} found."
    return lines


# ------------------------------------------------------------------------------------------------
# valid data
# ------------------------------------------------------------------------------------------------


def test_fixture_is_valid_and_complete():
    a = load_appraisal(MINI)
    assert list(a.options) == ["no_change", "shared_service", "trading_company"]
    tc = a.options["trading_company"]
    assert [c.id for c in tc.one_off_costs] == ["legal", "it_systems"]
    assert [r.id for r in tc.risks] == ["tupe_challenge"]
    assert set(tc.uncertain) == {"staff_efficiency_rate", "trading_income_gbp", "one_off_costs.it_systems.amount_gbp"}
    assert tc.fbc_changes["trading_income_gbp"].value == 55000
    assert tc.drivers["go_live_year"].value == 1  # "2027-28" is year index 1 from 2026-27
    assert tc.risks[0].probability == 0.2
    assert a.economy["energy_inflation"].value == 0.035
    assert list(a.scenarios) == ["pessimistic"]
    assert len(a.correlations) == 2


@pytest.mark.parametrize("folder", [MINI, PROJECT_ROOT / "data" / "example_leisure", PROJECT_ROOT / "data" / "example_depot"],
                         ids=["mini", "example_leisure", "example_depot"])
def test_cli_valid_data_exits_0(folder, capsys):
    code = main(["validate", str(folder)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err == ""
    assert "valid" in out.out


def test_cli_subprocess_valid_and_invalid(mini):
    exe = Path(sys.executable).parent / "asdm"
    ok = subprocess.run([str(exe), "validate", str(MINI)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    edit(mini, TC, "probability: 20%", "probability: 20")
    edit(mini, APP, "council: Test District Council\n", "")
    bad = subprocess.run([str(exe), "validate", str(mini)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr + bad.stdout
    lines = bad.stderr.splitlines()
    assert len(lines) == 3 and lines[-1] == "2 problems found."
    assert any(ln.startswith("mini/appraisal.yaml:") and " council: required field is missing" in ln for ln in lines)
    assert any(ln.startswith("mini/options/trading_company.yaml:") and "did you mean 20%?" in ln for ln in lines)


# ------------------------------------------------------------------------------------------------
# missing files, YAML syntax, duplicate keys
# ------------------------------------------------------------------------------------------------


def test_missing_appraisal_yaml(mini, capsys):
    (mini / APP).unlink()
    errs = problems(mini)
    e = only(errs, APP, "")
    assert "file not found" in e.message and "needs appraisal.yaml" in e.message
    assert_cli_reports(mini, capsys, errs)


def test_missing_options_folder(mini, capsys):
    shutil.rmtree(mini / "options")
    errs = problems(mini)
    # only the folder: no knock-on "no no_change option" or "unknown option" in the scenario
    e = only(errs, "options", "")
    assert "folder not found" in e.message and "options/<id>.yaml" in e.message
    assert_cli_reports(mini, capsys, errs)


def test_missing_data_folder(tmp_path, capsys):
    errs = problems(tmp_path / "nowhere")
    assert len(errs) == 1 and "appraisal folder not found" in errs[0].message
    code, lines, everything = run_cli(tmp_path / "nowhere", capsys)
    assert code == 2 and "Traceback" not in everything and len(lines) == 2


def test_yaml_syntax_error_has_line(mini, capsys):
    edit(mini, TC, "name: Council-owned parks company", "name: Council-owned: parks company")
    errs = problems(mini)
    e = only(errs, TC, "")  # the broken file only: the scenario naming trading_company does not pile on
    assert e.line == line_of(mini, TC, "name: Council-owned: parks")
    assert e.message.startswith("YAML syntax error:")
    assert "mapping values are not allowed" in e.message
    assert "indentation" in e.message and "quotes" in e.message  # what to look for
    assert str(e).startswith(f"mini/{TC}:{e.line}:")
    assert_cli_reports(mini, capsys, errs)


def test_yaml_tab_indent(mini):
    edit(mini, TC, "  trading_income_gbp: 60000", "\ttrading_income_gbp: 60000")
    e = only(problems(mini), TC, "")
    assert e.line == line_of(mini, TC, "trading_income_gbp: 60000")
    assert "'\\t'" in e.message and "spaces, not tabs" in e.message


def test_duplicate_yaml_keys(mini, capsys):
    edit(mini, APP, "council: Test District Council\n", "council: Test District Council\ncouncil: Other Council\n")
    edit(mini, TC, "  trading_income_gbp: 60000\n", "  trading_income_gbp: 60000\n  trading_income_gbp: 70000\n")
    errs = problems(mini)
    assert len(errs) == 2
    e = find(errs, APP, "council")
    assert e.line == line_of(mini, APP, "council: Other Council")
    assert f"also on line {line_of(mini, APP, 'council: Test District')}" in e.message
    assert "each key may appear once" in e.message
    e = find(errs, TC, "drivers.trading_income_gbp")
    assert e.line == line_of(mini, TC, "trading_income_gbp: 70000")
    assert f"also on line {line_of(mini, TC, 'trading_income_gbp: 60000')}" in e.message
    assert_cli_reports(mini, capsys, errs)


# ------------------------------------------------------------------------------------------------
# fields: missing, unknown, wrong type
# ------------------------------------------------------------------------------------------------


def test_missing_required_field(mini, capsys):
    edit(mini, APP, "council: Test District Council\n", "")
    errs = problems(mini)
    e = only(errs, APP, "council")
    assert e.message == "required field is missing; add it (it takes text)"
    assert e.line is not None
    assert_cli_reports(mini, capsys, errs)


def test_missing_required_field_in_list_row(mini):
    edit(mini, TC, "    impact_high_gbp: 80000\n", "")
    e = only(problems(mini), TC, "risks[tupe_challenge].impact_high_gbp")
    assert "required field is missing" in e.message and "a number" in e.message
    assert e.line == line_of(mini, TC, "- id: tupe_challenge")


def test_unknown_field_suggests_close_match(mini, capsys):
    edit(mini, APP, "title:", "titel:")
    errs = problems(mini)
    assert len(errs) == 2
    e = find(errs, APP, "titel")
    assert "unknown field (did you mean 'title'?)" in e.message
    assert "valid fields here:" in e.message and "council" in e.message
    assert e.line == line_of(mini, APP, "titel:")
    assert "required field is missing" in find(errs, APP, "title").message
    assert_cli_reports(mini, capsys, errs)


def test_unknown_field_in_list_row(mini):
    edit(mini, TC, "    borne_by: provider", "    borne_bye: provider")
    e = only(problems(mini), TC, "risks[tupe_challenge].borne_bye")
    assert "did you mean 'borne_by'?" in e.message and "probability" in e.message
    assert e.line == line_of(mini, TC, "borne_bye")


def test_unknown_driver_suggests_close_match(mini, capsys):
    edit(mini, TC, "  trading_income_gbp: 60000\n", "  trading_income_gbp: 60000\n  staf_fte: 18\n")
    errs = problems(mini)
    e = only(errs, TC, "drivers.staf_fte")
    assert "unknown driver (did you mean 'staff_fte'?)" in e.message
    assert "valid drivers here:" in e.message and "management_fee_gbp" in e.message
    assert e.line == line_of(mini, TC, "staf_fte")
    assert_cli_reports(mini, capsys, errs)


def test_invalid_option_driver_is_reported_once(mini):
    # trading_income_gbp is also uncertain and changed at FBC: those entries must not add "not an OBC driver"
    edit(mini, TC, "  trading_income_gbp: 60000", "  trading_income_gbp: sixty thousand")
    e = only(problems(mini), TC, "drivers.trading_income_gbp")
    assert e.message == "expected a number, got 'sixty thousand'"


def test_economy_driver_in_option_is_refused(mini):
    edit(mini, TC, "  trading_income_gbp: 60000\n", "  trading_income_gbp: 60000\n  pay_inflation: 3%\n")
    e = only(problems(mini), TC, "drivers.pay_inflation")
    assert "shared by every option" in e.message and "appraisal.yaml economy" in e.message


@pytest.mark.parametrize(
    "rel, old, new, field, message",
    [
        (APP, "  non_staff_costs_gbp: 400000", "  non_staff_costs_gbp: lots",
         "current_service.non_staff_costs_gbp", "expected a number, got 'lots'"),
        (TC, "amount_gbp: 40000", "amount_gbp: forty thousand",
         "one_off_costs[legal].amount_gbp", "expected a number, got 'forty thousand'"),
        (APP, "annual_gbp: 50000", "annual_gbp: yes",
         "savings_target.annual_gbp", "expected a number, got True"),
        (APP, "period_years: 5", "period_years: five", "period_years", "expected a whole number, got 'five'"),
        (NC, "strategic_fit: 2", "strategic_fit: good", "scores.strategic_fit", "expected a whole number, got 'good'"),
        (APP, "  non_staff_costs_gbp: 400000", "  non_staff_costs_gbp: 4%",
         "current_service.non_staff_costs_gbp", "'4%' is a percentage, but non_staff_costs_gbp is in pounds (GBP)"),
        (APP, "gdp_deflator: 2.0%", "gdp_deflator: two percent",
         "economy.gdp_deflator", "'two percent' is not a rate: write a fraction such as 0.035 or a percentage such as \"3.5%\""),
    ],
    ids=["driver", "list-row", "bool", "whole-number", "score", "percent-for-money", "rate-text"],
)
def test_wrong_type(mini, capsys, rel, old, new, field, message):
    edit(mini, rel, old, new)
    errs = problems(mini)
    e = only(errs, rel, field)
    assert e.message == message
    assert e.line == line_of(mini, rel, new.strip())
    if rel == APP and field.startswith("current_service"):
        assert_cli_reports(mini, capsys, errs)


# ------------------------------------------------------------------------------------------------
# rates and non-finite numbers
# ------------------------------------------------------------------------------------------------


def test_rate_written_as_percentage_number(mini, capsys):
    edit(mini, APP, "energy_inflation: 3.5%", "energy_inflation: 3.5")
    errs = problems(mini)
    # one problem: the uncertain energy_inflation and its correlation do not pile on
    e = only(errs, APP, "economy.energy_inflation")
    assert e.message.startswith("3.5 is not a valid rate: did you mean 3.5%?")
    assert "0.035" in e.message and '"3.5%"' in e.message
    assert e.line == line_of(mini, APP, "energy_inflation: 3.5")
    assert_cli_reports(mini, capsys, errs)


@pytest.mark.parametrize(
    "rel, old, new, field, number",
    [
        (APP, "pension_employer_rate: 18%", "pension_employer_rate: 18", "current_service.pension_employer_rate", "18"),
        (APP, "optimism_bias_mitigation: 40%", "optimism_bias_mitigation: 40", "stages.obc.optimism_bias_mitigation", "40"),
        (TC, "corporation_tax_rate: 25%", "corporation_tax_rate: 25", "drivers.corporation_tax_rate", "25"),
        (SC, "pay_inflation: 4%", "pay_inflation: 4", "changes.all.pay_inflation", "4"),
        (APP, "low: 2.0%, mode: 3.0%", "low: 2.5, mode: 3.0%", "uncertain.pay_inflation.low", "2.5"),
    ],
    ids=["current_service", "stage-setting", "option-driver", "scenario", "distribution-bound"],
)
def test_rate_written_as_percentage_number_everywhere(mini, rel, old, new, field, number):
    edit(mini, rel, old, new)
    e = only(problems(mini), rel, field)
    assert e.message.startswith(f"{number} is not a valid rate: did you mean {number}%?"), e.message
    assert e.line == line_of(mini, rel, new)


@pytest.mark.parametrize(
    "rel, old, new, field",
    [
        (APP, "  non_staff_costs_gbp: 400000", "  non_staff_costs_gbp: .nan", "current_service.non_staff_costs_gbp"),
        (APP, "gdp_deflator: 2.0%", "gdp_deflator: .nan", "economy.gdp_deflator"),
        (APP, "annual_gbp: 50000", "annual_gbp: -.inf", "savings_target.annual_gbp"),
        (TC, "amount_gbp: 40000", "amount_gbp: .inf", "one_off_costs[legal].amount_gbp"),
        (TC, "    impact_high_gbp: 80000", "    impact_high_gbp: .Inf", "risks[tupe_challenge].impact_high_gbp"),
        (APP, "rank_correlation: 0.5", "rank_correlation: .NaN", "correlations[#1].rank_correlation"),
        (APP, "mean: 250000", "mean: .nan", "uncertain.current_service.fees_income_gbp.mean"),
    ],
    ids=["driver-nan", "rate-nan", "money-minus-inf", "list-row-inf", "risk-inf", "correlation-nan", "dist-nan"],
)
def test_nan_and_infinity_are_refused(mini, capsys, rel, old, new, field):
    edit(mini, rel, old, new)
    errs = problems(mini)
    e = only(errs, rel, field)
    assert "is not allowed: values must be finite numbers (no NaN or infinity)" in e.message, e.message
    assert e.line == line_of(mini, rel, new.strip())
    if field == "current_service.non_staff_costs_gbp":
        assert_cli_reports(mini, capsys, errs)


# ------------------------------------------------------------------------------------------------
# years
# ------------------------------------------------------------------------------------------------

PERIOD = "outside the appraisal period 2026-27 to 2030-31 (year index 0 to 4)"


def test_one_off_year_outside_period(mini, capsys):
    edit(mini, TC, "year: 2026-27, amount_gbp: 40000", "year: 2031-32, amount_gbp: 40000")
    errs = problems(mini)
    e = only(errs, TC, "one_off_costs[legal].year")
    assert e.message == f"year 2031-32 is {PERIOD}"
    assert e.line == line_of(mini, TC, "id: legal")
    assert_cli_reports(mini, capsys, errs)


def test_risk_years_outside_period(mini):
    edit(mini, TC, "from_year: 2027-28", "from_year: 2024-25")
    edit(mini, TC, "to_year: 2028-29", "to_year: 2035-36")
    errs = problems(mini)
    assert len(errs) == 2
    e = find(errs, TC, "risks[tupe_challenge].from_year")
    assert e.message == f"year 2024-25 is {PERIOD}" and e.line == line_of(mini, TC, "from_year:")
    e = find(errs, TC, "risks[tupe_challenge].to_year")
    assert e.message == f"year 2035-36 is {PERIOD}" and e.line == line_of(mini, TC, "to_year:")


def test_risk_to_year_before_from_year(mini):
    edit(mini, TC, "to_year: 2028-29", "to_year: 2026-27")
    e = only(problems(mini), TC, "risks[tupe_challenge].to_year")
    assert "2026-27 is before from_year 2027-28" in e.message and "same year or later" in e.message


def test_go_live_year_outside_period(mini):
    edit(mini, TC, "go_live_year: 2027-28", "go_live_year: 2032-33")
    e = only(problems(mini), TC, "drivers.go_live_year")
    assert e.message == f"'2032-33' is {PERIOD}"
    assert e.line == line_of(mini, TC, "go_live_year:")


def test_go_live_year_as_calendar_year_suggests_label(mini):
    edit(mini, TC, "go_live_year: 2027-28", "go_live_year: 2027")
    e = only(problems(mini), TC, "drivers.go_live_year")
    assert e.message == f"2027 is {PERIOD}; did you mean \"2027-28\"?"


def test_savings_target_year_outside_period(mini):
    edit(mini, APP, "from_year: 2027-28", "from_year: 2031-32")
    e = only(problems(mini), APP, "savings_target.from_year")
    assert e.message == f"year 2031-32 is {PERIOD}"


def test_financial_year_label_malformed(mini):
    edit(mini, TC, "go_live_year: 2027-28", "go_live_year: 2027-29")
    e = only(problems(mini), TC, "drivers.go_live_year")
    assert "'2027-29' is not a financial year" in e.message and '"2027-28"' in e.message


# ------------------------------------------------------------------------------------------------
# probabilities
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel, old, new, field, message",
    [
        (TC, "probability: 20%", "probability: 120%", "risks[tupe_challenge].probability",
         "'120%' is not a probability; it must be between 0 and 1 (0% to 100%)"),
        (TC, "probability: 20%", "probability: -0.1", "risks[tupe_challenge].probability",
         "-0.1 is not a probability; it must be between 0 and 1 (0% to 100%)"),
        (TC, "probability: 20%", "probability: 1.5", "risks[tupe_challenge].probability",
         "1.5 is not a probability (0 to 1, or 0% to 100%): did you mean 1.5%? "
         "(write rates as fractions such as 0.035 or as \"3.5%\")"),
        (APP, "min_prob_beats_no_change: 60%", "min_prob_beats_no_change: 160%", "risk_appetite.min_prob_beats_no_change",
         "'160%' is not a probability; it must be between 0 and 1 (0% to 100%)"),
        (TC, "  one_off_costs.it_systems.amount_gbp: {distribution: uniform",
         "  risks.tupe_challenge.probability: {distribution: triangular, low: 10%, mode: 20%, high: 150%}\n"
         "  one_off_costs.it_systems.amount_gbp: {distribution: uniform",
         "uncertain.risks.tupe_challenge.probability.high",
         "150% is outside the valid range of probability (0% to 100%)"),
        (SC, "    trading_income_gbp: 40000", "    trading_income_gbp: 40000\n    risks.tupe_challenge.probability: 130%",
         "changes.trading_company.risks.tupe_challenge.probability",
         "'130%' is above the largest valid value 100%"),
    ],
    ids=["above-1", "negative", "bare-number", "risk-appetite", "distribution", "scenario"],
)
def test_probability_outside_0_1(mini, rel, old, new, field, message):
    edit(mini, rel, old, new)
    e = only(problems(mini), rel, field)
    assert e.message == message
    assert e.line is not None


# ------------------------------------------------------------------------------------------------
# distributions, risks, correlations
# ------------------------------------------------------------------------------------------------


def test_triangular_low_above_mode(mini, capsys):
    edit(mini, TC, "low: 1%, mode: 4%, high: 7%", "low: 5%, mode: 4%, high: 7%")
    errs = problems(mini)
    e = only(errs, TC, "uncertain.staff_efficiency_rate.low")
    assert e.message == "bounds out of order: need low <= mode <= high, got low 5%, mode 4%, high 7%"
    assert e.line == line_of(mini, TC, "low: 5%")
    assert_cli_reports(mini, capsys, errs)


def test_pert_mode_above_high(mini):
    edit(mini, TC, "low: 20000, mode: 60000, high: 90000", "low: 20000, mode: 60000, high: 50000")
    e = only(problems(mini), TC, "uncertain.trading_income_gbp.mode")
    assert "need low <= mode <= high, got low 20000, mode 60000, high 50000" in e.message


def test_uniform_low_above_high(mini):
    edit(mini, APP, "low: 1.5%, high: 3.5%", "low: 3.5%, high: 1.5%")
    errs = problems(mini)
    # one problem: the correlations naming price_inflation do not pile on
    e = only(errs, APP, "uncertain.price_inflation.low")
    assert e.message == "bounds out of order: need low <= high, got low 3.5%, high 1.5%"


def test_base_value_outside_distribution(mini):
    edit(mini, TC, "low: 1%, mode: 4%, high: 7%}", "low: 1%, high: 3%}")  # mode defaults to the base, 4%
    e = only(problems(mini), TC, "uncertain.staff_efficiency_rate.mode")
    assert "got low 1%, mode 4%, high 3%" in e.message and "mode defaults to the driver's base value" in e.message


@pytest.mark.parametrize(
    "old, new, bad, got",
    [
        ("impact_low_gbp: 10000", "impact_low_gbp: 50000", "impact_low_gbp", "50,000, 30,000, 80,000"),
        ("impact_high_gbp: 80000", "impact_high_gbp: 20000", "impact_high_gbp", "10,000, 30,000, 20,000"),
    ],
    ids=["low-above-most-likely", "most-likely-above-high"],
)
def test_risk_impacts_out_of_order(mini, old, new, bad, got):
    edit(mini, TC, old, new)
    e = only(problems(mini), TC, f"risks[tupe_challenge].{bad}")
    assert e.message == ("impacts out of order: need impact_low_gbp <= impact_most_likely_gbp <= impact_high_gbp, "
                         f"got {got}")
    assert e.line == line_of(mini, TC, new)


def test_negative_standard_deviation(mini, capsys):
    edit(mini, APP, "sd: 20000", "sd: -20000")
    errs = problems(mini)
    e = only(errs, APP, "uncertain.current_service.fees_income_gbp.sd")
    assert e.message == "standard deviation -20000 is negative; it must be 0 or more"
    assert e.line == line_of(mini, APP, "sd: -20000")
    assert_cli_reports(mini, capsys, errs)


def test_unknown_distribution_suggests_close_match(mini):
    edit(mini, APP, "pay_inflation: {distribution: triangular", "pay_inflation: {distribution: triangualr")
    e = only(problems(mini), APP, "uncertain.pay_inflation.distribution")
    assert e.message == ("unknown distribution 'triangualr' (did you mean 'triangular'?); "
                         "choose one of triangular, pert, uniform, normal, lognormal")


def test_distribution_unknown_and_missing_parameters(mini):
    edit(mini, APP, "{distribution: normal, mean: 250000, sd: 20000}", "{distribution: normal, mean: 250000, sdev: 20000}")
    errs = problems(mini)
    assert len(errs) == 2
    assert "(did you mean 'sd'?); it takes mean, sd" in find(errs, APP, "uncertain.current_service.fees_income_gbp.sdev").message
    assert "a normal distribution needs mean, sd" in find(errs, APP, "uncertain.current_service.fees_income_gbp.sd").message


def test_distribution_beyond_driver_bounds(mini):
    edit(mini, TC, "low: 1%, mode: 4%, high: 7%", "low: -150%, mode: 4%, high: 7%")
    e = only(problems(mini), TC, "uncertain.staff_efficiency_rate.low")
    assert e.message == "-150% is outside the valid range of staff_efficiency_rate (-100% to 100%)"


def test_correlation_matrix_not_positive_semi_definite(mini, capsys):
    edit(mini, APP, "rank_correlation: 0.5}", "rank_correlation: 0.9}")
    edit(mini, APP, "rank_correlation: 0.3}",
         "rank_correlation: 0.9}\n  - {drivers: [pay_inflation, energy_inflation], rank_correlation: -0.9}")
    errs = problems(mini)
    e = only(errs, APP, "correlations")
    assert "rank correlations between energy_inflation, pay_inflation, price_inflation are inconsistent" in e.message
    assert "not positive semi-definite" in e.message and "weaken some of them" in e.message
    assert e.line == line_of(mini, APP, "- {drivers: [pay_inflation, price_inflation]")  # the list's first row
    assert_cli_reports(mini, capsys, errs)


def test_correlation_names_driver_without_distribution(mini):
    edit(mini, APP, "drivers: [price_inflation, energy_inflation]", "drivers: [price_inflation, gdp_deflator]")
    e = only(problems(mini), APP, "correlations[#2].drivers")
    assert "'gdp_deflator' in a correlation is not an uncertain driver" in e.message
    assert "correlate only drivers that have a distribution" in e.message


# ------------------------------------------------------------------------------------------------
# options
# ------------------------------------------------------------------------------------------------


def test_duplicate_option_ids_name_both_files(mini, capsys):
    edit(mini, SS, "id: shared_service", "id: trading_company")
    errs = problems(mini)
    e = only(errs, TC, "id")  # files are read in name order: shared_service.yaml first
    assert e.message == ("duplicate option id 'trading_company': also used by mini/options/shared_service.yaml; "
                         "option ids must be unique")
    assert e.line == line_of(mini, TC, "id: trading_company")
    assert_cli_reports(mini, capsys, errs)


def test_unknown_option_model_suggests_close_match(mini, capsys):
    edit(mini, TC, "model: trading_company", "model: trading_compnay")
    errs = problems(mini)
    # one problem: the scenario's changes to trading_company are not reported as an unknown option
    e = only(errs, TC, "model")
    assert e.message.startswith("unknown option model 'trading_compnay' (did you mean 'trading_company'?); valid: ")
    assert "outsourcing" in e.message and "no_change" in e.message
    assert e.line == line_of(mini, TC, "model:")
    assert_cli_reports(mini, capsys, errs)


def test_fbc_change_to_driver_the_obc_does_not_state(mini, capsys):
    edit(mini, TC, "    one_off_costs.it_systems.amount_gbp: 32000",
         "    one_off_costs.it_systems.amount_gbp: 32000\n    client_side_costs_gbp: 30000")
    errs = problems(mini)
    e = only(errs, TC, "fbc.changes.client_side_costs_gbp")
    assert e.message.startswith("'client_side_costs_gbp' is not an OBC driver of this option; valid: go_live_year, ")
    assert e.message.endswith("; state it under drivers: for the OBC first")
    assert e.line == line_of(mini, TC, "client_side_costs_gbp: 30000")
    assert_cli_reports(mini, capsys, errs)


def test_fbc_change_with_misspelt_driver_suggests(mini):
    edit(mini, TC, "    trading_income_gbp: {value: 55000", "    trading_incom_gbp: {value: 55000")
    e = only(problems(mini), TC, "fbc.changes.trading_incom_gbp")
    assert "(did you mean 'trading_income_gbp'?)" in e.message


def test_fbc_change_entry_fields_checked(mini):
    edit(mini, TC, 'source: "Business plan v2", confidence: medium}', 'sorce: "Business plan v2", confidence: sure}')
    errs = problems(mini)
    assert len(errs) == 2
    assert "(did you mean 'source'?)" in find(errs, TC, "fbc.changes.trading_income_gbp.sorce").message
    e = find(errs, TC, "fbc.changes.trading_income_gbp.confidence")
    assert e.message == "'sure' is not valid; expected one of high, medium, low"


def test_no_no_change_option(mini, capsys):
    edit(mini, NC, "model: no_change", "model: in_house_redesign")
    errs = problems(mini)
    e = only(errs, "options", "model")
    assert "no option has model no_change" in e.message and "exactly one no_change option" in e.message
    assert_cli_reports(mini, capsys, errs)


def test_more_than_one_no_change_option(mini):
    edit(mini, SS, "model: shared_service", "model: no_change")
    e = only(problems(mini), "options", "model")
    assert "more than one option has model no_change" in e.message
    assert "no_change in mini/options/no_change.yaml" in e.message
    assert "shared_service in mini/options/shared_service.yaml" in e.message
    assert "there must be exactly one" in e.message


def test_broken_no_change_file_does_not_also_report_missing_baseline(mini):
    edit(mini, NC, "strategic_fit: 2", "strategic_fit: good")
    e = only(problems(mini), NC, "scores.strategic_fit")
    assert e.message == "expected a whole number, got 'good'"


def test_scenario_unknown_option_and_driver(mini):
    edit(mini, SC, "  trading_company:", "  trading_compnay:")
    edit(mini, SC, "pay_inflation: 4%", "pay_inflaton: 4%")
    errs = problems(mini)
    assert len(errs) == 2
    e = find(errs, SC, "changes.trading_compnay")
    assert "(did you mean 'trading_company'?)" in e.message and "use 'all' or one of" in e.message
    e = find(errs, SC, "changes.all.pay_inflaton")
    assert "(did you mean 'pay_inflation'?)" in e.message


# ------------------------------------------------------------------------------------------------
# everything at once
# ------------------------------------------------------------------------------------------------


def test_several_problems_across_files_all_reported(mini, capsys):
    edit(mini, APP, "title:", "titel:")
    edit(mini, APP, "energy_inflation: 3.5%", "energy_inflation: 3.5")
    edit(mini, APP, "sd: 20000", "sd: -20000")
    edit(mini, TC, "go_live_year: 2027-28", "go_live_year: 2032-33")
    edit(mini, TC, "impact_low_gbp: 10000", "impact_low_gbp: 50000")
    edit(mini, TC, "    one_off_costs.it_systems.amount_gbp: 32000",
         "    one_off_costs.it_systems.amount_gbp: 32000\n    client_side_costs_gbp: 30000")
    edit(mini, SS, "  management_fee_gbp: 520000", "  management_fee_gbp: .nan")
    errs = problems(mini)
    where = {(e.file, e.field) for e in errs}
    assert where == {
        ("mini/appraisal.yaml", "title"),
        ("mini/appraisal.yaml", "titel"),
        ("mini/appraisal.yaml", "economy.energy_inflation"),
        ("mini/appraisal.yaml", "uncertain.current_service.fees_income_gbp.sd"),
        ("mini/options/trading_company.yaml", "drivers.go_live_year"),
        ("mini/options/trading_company.yaml", "risks[tupe_challenge].impact_low_gbp"),
        ("mini/options/trading_company.yaml", "fbc.changes.client_side_costs_gbp"),
        ("mini/options/shared_service.yaml", "drivers.management_fee_gbp"),
    }, "\n".join(map(str, errs))
    assert all(e.line for e in errs if e.field != "title")
    lines = assert_cli_reports(mini, capsys, errs)
    assert len(lines) == 9 and lines[-1] == "8 problems found."
    assert len({ln.split(":")[0] for ln in lines[:-1]}) == 3  # three files


# ------------------------------------------------------------------------------------------------
# robustness: any wrong value anywhere gives DataErrors with file and field, never a crash
# ------------------------------------------------------------------------------------------------


def _section_paths(node, path=(), depth=3):
    if path:
        yield path
    if len(path) < depth and isinstance(node, dict):
        for k, v in node.items():
            yield from _section_paths(v, path + (k,), depth)
    elif len(path) < depth and isinstance(node, list):
        for i, v in enumerate(node):
            yield from _section_paths(v, path + (i,), depth)


@pytest.mark.parametrize("rel", [APP, NC, TC, SS, SC])
def test_wrong_values_anywhere_never_crash(tmp_path, rel):
    import copy

    import yaml

    original = yaml.safe_load((MINI / rel).read_text(encoding="utf-8"))
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    checked = 0
    for path in list(_section_paths(original)):
        for bad in ("text", [1], {"zz": 1}, None, float("nan"), True, -5):
            data = copy.deepcopy(original)
            node = data
            for k in path[:-1]:
                node = node[k]
            if node[path[-1]] == bad:
                continue
            node[path[-1]] = bad
            (root / rel).write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)), encoding="utf-8")
            try:
                load_appraisal(root)
            except DataErrors as exc:
                for e in exc.errors:
                    assert e.file.startswith("mini/") and "\n" not in str(e), str(e)
                    assert e.field or e.line is None or "YAML" in e.message or e.file.endswith("options"), str(e)
            checked += 1
    assert checked > 20


def test_fbc_change_to_uncertain_driver_needs_an_fbc_range(mini, capsys):
    """An FBC figure for a driver uncertain at OBC would be lost in the FBC Monte Carlo (the OBC range would be
    sampled instead), so the loader asks for its FBC range."""
    edit(mini, TC, "    one_off_costs.it_systems.amount_gbp: {distribution: triangular, low: 30000, mode: 32000, high: 36000}\n", "")
    errs = problems(mini)
    e = only(errs, TC, "fbc.changes.one_off_costs.it_systems.amount_gbp")
    assert e.message == ("one_off_costs.it_systems.amount_gbp is uncertain at OBC and changed at FBC: give its FBC range "
                         "under fbc.uncertain.one_off_costs.it_systems.amount_gbp (a distribution around the FBC value)")
    assert e.line == line_of(mini, TC, "one_off_costs.it_systems.amount_gbp: 32000")
    assert_cli_reports(mini, capsys, errs)
