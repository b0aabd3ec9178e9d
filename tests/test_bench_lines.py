"""The synthetic appraisal `make bench` times (8 options, 40 years, 30 council lines per option) loads, validates and
runs: the benchmark cannot silently stop measuring what it says it measures."""

import sys
from pathlib import Path

from asdm_models import PROJECT_ROOT, load_appraisal
from asdm_models.montecarlo import monte_carlo_all

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from bench_lines import synthetic_appraisal  # noqa: E402


def test_synthetic_appraisal_has_what_the_bench_says(tmp_path: Path):
    a = load_appraisal(synthetic_appraisal(tmp_path))
    assert len(a.options) == 8 and a.period_years == 40
    assert all(len(o.lines) == 30 for o in a.options.values() if o.model != "no_change")
    kinds = {ln.kind for o in a.options.values() for ln in o.lines.values()}
    assert kinds == {"resource", "transfer", "benefit", "internal"}
    res = monte_carlo_all(a, "obc", draws=200, seed=3)
    assert set(res) == set(a.options)
    assert res["no_change"].npsv_vs_no_change_gbp.max() == 0.0
