"""Re-make the runs the bundled example's decisions relied on, and file them with the decision log.

The example's ``decisions.yaml`` says the options appraisal and the outline business case were decided on
runs of the suite. A council files the papers with the minutes: a copy of the run's ``manifest.json`` and
``summary.csv`` under ``decisions/<run-id>/`` of the appraisal folder, which ``asdm validate`` accepts as the
run, and ``asdm verify data/<appraisal>/decisions/<run-id>`` re-checks. This script does that for the example
(maintainers run it after changing the example's data): it runs the two batches into a temporary folder with
the log set aside (a log cannot cite runs that do not exist yet), files their records, and writes their ids
into the log.

    python scripts/file_example_decisions.py
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asdm_models.batch import run_batch  # noqa: E402

DATA = ROOT / "data" / "example_leisure"
LOG = DATA / "decisions.yaml"
FILED = DATA / "decisions"
# gate -> (options, stages) of the run its decision relied on
RUNS = {"options_appraisal": (None, ["obc"]), "obc": (["no_change", "trading_company"], ["obc"])}


def main() -> int:
    text = LOG.read_text(encoding="utf-8")
    aside = LOG.with_name("decisions.yaml.aside")
    LOG.rename(aside)
    shutil.rmtree(FILED, ignore_errors=True)
    ids = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for gate, (options, stages) in RUNS.items():
                res = run_batch(DATA, tmp, options=options, stages=stages, jobs=2, progress=False)
                if not res.ok:
                    raise SystemExit(f"the {gate} run failed: {res.run_dir}")
                dest = FILED / res.run_dir.name
                dest.mkdir(parents=True)
                for f in ("manifest.json", "summary.csv"):
                    shutil.copy2(res.run_dir / f, dest / f)
                ids[gate] = res.run_dir.name
                print(f"{gate}: filed run {res.run_dir.name}")
    finally:
        aside.rename(LOG)
    for gate, run_id in ids.items():
        # the run line of that gate's entry: the first "run:" after "gate: <gate>"
        pattern = re.compile(rf"(- gate: {gate}\n(?:(?!  - gate:).*\n)*?    run: )\S+")
        text, n = pattern.subn(lambda m: m.group(1) + run_id, text)
        if n != 1:
            raise SystemExit(f"could not find the run of the {gate} decision in {LOG}")
    LOG.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
