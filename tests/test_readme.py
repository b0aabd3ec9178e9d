"""README.md documents the data format: every driver, option model and gate metric is in it."""

from asdm_models import OPTION_MODELS, PROJECT_ROOT
from asdm_models.assumptions import GATE_METRICS
from asdm_models.catalogue import DRIVERS, ITEM_FIELDS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_driver_is_documented():
    missing = [n for n in DRIVERS if f"`{n}`" not in README]
    assert missing == [], f"add these drivers to the README's driver table: {missing}"


def test_every_option_model_and_gate_metric_is_documented():
    assert [m for m in OPTION_MODELS if f"`{m}`" not in README] == []
    assert [m for m in GATE_METRICS if m not in README and m.removeprefix("p10_") not in README] == []


def test_item_lists_are_documented():
    for lst in ITEM_FIELDS:
        assert f"`{lst}`" in README


def test_two_commands_are_in_the_readme():
    assert "make reports" in README and "make test" in README
