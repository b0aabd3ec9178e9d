"""Data written for the previous format: refused with the exact rewrite, and `asdm migrate` does it."""

import re
import shutil
import subprocess
import sys

import pytest

from asdm_models import PROJECT_ROOT, load_appraisal
from asdm_models.catalogue import RENAMED
from asdm_models.errors import DataErrors
from asdm_models.migrate import migrate_folder, migrate_text


def _old_copy(tmp_path):
    """The leisure example as the previous format wrote it: the renamed drivers under their old names."""
    dst = tmp_path / "example_leisure"
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", dst)
    for fp in list(dst.glob("*.yaml")) + list(dst.glob("*/*.yaml")):
        text = fp.read_text(encoding="utf-8")
        for old, new in RENAMED.items():
            text = text.replace(new, old)
        fp.write_text(text, encoding="utf-8")
    return dst


def test_old_names_are_refused_with_the_new_name(tmp_path):
    folder = _old_copy(tmp_path)
    with pytest.raises(DataErrors) as e:
        load_appraisal(folder)
    messages = [str(x) for x in e.value.errors]
    assert messages and all("is now called" in m and "asdm migrate" in m for m in messages)
    assert any("options/trading_company.yaml" in m and "staff_efficiency_pct is now called staff_efficiency_rate" in m
               for m in messages)


def test_migrate_rewrites_the_folder_and_it_validates(tmp_path):
    folder = _old_copy(tmp_path)
    changed = migrate_folder(folder, dry_run=True)
    assert changed and all(f.endswith(".yaml") for f in changed)
    with pytest.raises(DataErrors):
        load_appraisal(folder)  # a dry run writes nothing
    out = subprocess.run([sys.executable, "-m", "asdm_models.cli", "migrate", str(folder)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "staff_efficiency_pct -> staff_efficiency_rate" in out.stdout
    a = load_appraisal(folder)
    assert a.options["trading_company"].drivers["staff_efficiency_rate"].value == pytest.approx(0.05)
    ok = subprocess.run([sys.executable, "-m", "asdm_models.cli", "validate", str(folder)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_migrate_text_leaves_other_names_alone():
    text = "staff_efficiency_pct: 5%\nstaff_efficiency_pct_note: x\nmy_dividend_pct2: 1\n"
    new, done = migrate_text(text)
    assert new.startswith("staff_efficiency_rate: 5%\n") and "staff_efficiency_pct_note" in new and "my_dividend_pct2" in new
    assert done == ["staff_efficiency_pct -> staff_efficiency_rate"]


def test_an_old_entity_capital_item_is_told_what_to_add(tmp_path):
    """The one change migrate cannot make: a new entity's own capital item now needs its capital-allowance category."""
    folder = tmp_path / "example_leisure"
    shutil.copytree(PROJECT_ROOT / "data" / "example_leisure", folder)
    fp = folder / "options" / "joint_venture.yaml"
    fp.write_text(fp.read_text(encoding="utf-8").replace(" capital_allowance: main_pool,", ""), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "asdm_models.cli", "validate", str(folder)], capture_output=True, text=True)
    assert out.returncode == 2
    line = next(x for x in out.stderr.splitlines() if "capital_allowance" in x)
    assert re.search(r"example_leisure/options/joint_venture\.yaml:\d+: capital\[riverside_investment\]:", line)
    assert "main_pool" in line and "structures_and_buildings" in line and "Traceback" not in out.stderr
