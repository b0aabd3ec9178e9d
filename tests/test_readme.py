"""README.md documents the data format: its driver and line tables are generated from the catalogue, and every
option model, gate metric and item list is in it."""

import re

from asdm_models import OPTION_MODELS, PROJECT_ROOT
from asdm_models.assumptions import GATE_METRICS
from asdm_models.catalogue import DRIVERS, ITEM_FIELDS, LINE_FIELDS, RENAMED, driver_table_markdown, render_readme

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_generated_tables_match_the_catalogue():
    """The driver and line-field tables cannot drift from the catalogue: run scripts/update_readme.py after a change."""
    assert render_readme(README) == README, "the README's generated tables are stale: run python scripts/update_readme.py"


def test_every_driver_is_documented_with_its_unit():
    table = driver_table_markdown()
    assert table in README
    for n, d in DRIVERS.items():
        row = next(r for r in table.splitlines() if r.startswith(f"| `{n}` |"))
        if d.unit == "gbp":
            assert ("£ a year" in row) == (d.per == "year") and ("£ once" in row) == (d.per == "once"), row
    # The review found these documented as "£ a year" while they are one-off amounts.
    for n in ("planned_funding_gbp", "sunk_costs_gbp", "exit_cost_gbp", "redundancy_gbp", "pension_strain_gbp"):
        assert DRIVERS[n].per == "once"
    assert all(f"`{f}`" in README for f in LINE_FIELDS)


def test_no_driver_name_says_pct_while_holding_a_fraction():
    assert [n for n in DRIVERS if n.endswith("_pct")] == []
    assert all(new in DRIVERS for new in RENAMED.values())
    assert all(f"`{old}`" in README for old in RENAMED)  # the migration note names each old name


def test_every_option_model_and_gate_metric_is_documented():
    assert [m for m in OPTION_MODELS if f"`{m}`" not in README] == []
    assert [m for m in GATE_METRICS if m not in README and m.removeprefix("p10_") not in README] == []


def test_item_lists_are_documented():
    for lst in list(ITEM_FIELDS) + ["lines"]:
        assert f"`{lst}`" in README


def test_two_commands_are_in_the_readme():
    assert "make reports" in README and "make test" in README
    assert re.search(r"asdm migrate DATA_DIR", README)
