"""A synthetic appraisal for `make bench`: 8 options, 40 years, 30 of the council's own lines per option.

``synthetic_appraisal(folder)`` writes it (from ``data/example_depot``: its economy and current service, every
option model) and returns the folder. The current service states 10 lines; each option restates 5 of them and adds
20 of its own (kinds, indexation baskets with caps, once lines, ramps, parties), 5 with an uncertain amount.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from asdm_models import PROJECT_ROOT

MODELS = ["no_change", "in_house_redesign", "public_integration", "shared_service", "trading_company",
          "social_enterprise", "joint_venture", "outsourcing"]
INDEXATION = ["gdp_deflator", "pay", "price", "energy", "cpi", "none", {"pay": "60%", "cpi": "40%"}]


def _line(i: int, prefix: str, option: bool, in_house: bool = False) -> dict:
    line = {"id": f"{prefix}{i:02d}", "label": f"Line {prefix}{i:02d}", "type": "income" if i % 3 == 0 else "cost",
            "amount_gbp": 20_000 + 1_000 * i, "indexation": INDEXATION[i % len(INDEXATION)]}
    if line["indexation"] not in ("gdp_deflator", "none"):
        line["cap"] = "4%"
    if i % 5 == 4:
        line.update(per="once", year=2029 - 2026 + (i % 7))
        line.pop("cap", None)
    elif i % 4 == 1:
        line["ramp_years"] = 2
    if option:
        line["borne_by"] = ["deliverer", "council", "provider", "partner"][i % 4]
        line["kind"] = ["resource", "resource", "transfer", "benefit", "internal"][i % 5]
        if line["kind"] == "internal":
            if in_house:  # no provider: an internal payment is with the partner
                line["borne_by"], line["counterparty"] = "council", "partner"
            else:
                line["counterparty"] = "council" if line["borne_by"] != "council" else "provider"
        if line["kind"] in ("resource", "internal") and line["type"] == "cost" and i % 2 == 0:
            line["optimism_bias_category"] = "outsourcing"
    else:
        line["borne_by"] = "deliverer" if i % 2 else "council"
    return line


def synthetic_appraisal(folder: Path) -> Path:
    src = PROJECT_ROOT / "data" / "example_depot"
    dst = Path(folder) / "synthetic_lines"
    if dst.exists():
        shutil.rmtree(dst)
    (dst / "options").mkdir(parents=True)
    app = yaml.safe_load((src / "appraisal.yaml").read_text(encoding="utf-8"))
    app["appraisal"] = "synthetic_lines"
    app["current_service"]["lines"] = [_line(i, "cs", False) for i in range(10)]
    app["uncertain"].update({f"current_service.lines.cs{i:02d}.amount_gbp":
                             {"distribution": "triangular", "low": 15_000 + 1_000 * i, "high": 30_000 + 1_000 * i}
                             for i in (0, 1, 2) if i % 5 != 4})
    (dst / "appraisal.yaml").write_text(yaml.safe_dump(app, sort_keys=False), encoding="utf-8")
    base = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (src / "options").glob("*.yaml")}
    for k, model in enumerate(MODELS):
        opt = dict(base["outsourcing" if model == "outsourcing" else "shared_service" if model != "no_change"
                        else "no_change"])
        opt.update(id=model, name=f"Synthetic {model}", model=model)
        opt.pop("fbc", None)
        if model != "no_change":
            restated = [{"id": f"cs{i:02d}", "amount_gbp": 18_000 + 900 * i} for i in range(5)]
            own = [_line(i, "op", True, in_house=model == "in_house_redesign") for i in range(20)]
            opt["lines"] = restated + own
            opt["uncertain"] = {f"lines.op{i:02d}.amount_gbp": {"distribution": "pert", "low": 10_000 + 1_000 * i,
                                                              "high": 40_000 + 1_000 * i} for i in range(5) if i % 5 != 4}
            if model in ("trading_company", "social_enterprise", "joint_venture"):
                opt["capital"] = [dict(c, capital_allowance="main_pool") if c.get("borne_by") == "provider" else c
                                  for c in opt.get("capital", [])]
            else:
                opt["capital"] = [c for c in opt.get("capital", []) if "capital_allowance" not in c]
        (dst / "options" / f"{model}.yaml").write_text(yaml.safe_dump(opt, sort_keys=False), encoding="utf-8")
    for sub in ("scenarios",):
        if (dst / sub).exists():
            shutil.rmtree(dst / sub)
    return dst
