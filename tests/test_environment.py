"""environment.yml (conda users) and pyproject.toml (pip) must list the same dependencies and versions."""

import tomllib

import yaml

from asdm_models import PROJECT_ROOT


def _split(spec: str) -> tuple[str, str]:
    for i, ch in enumerate(spec):
        if ch in "<>=!~ ":
            return spec[:i].strip().lower(), spec[i:].replace(" ", "")
    return spec.strip().lower(), ""


def test_environment_yml_matches_pyproject():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    pip_deps = dict(_split(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = dict(_split(s) for s in env["dependencies"] if isinstance(s, str))
    python = conda.pop("python")
    conda.pop("pip")
    assert python == ">=" + project["requires-python"].lstrip(">=")
    assert conda == pip_deps, (
        f"only in environment.yml: {sorted(set(conda.items()) - set(pip_deps.items()))}; "
        f"only in pyproject.toml: {sorted(set(pip_deps.items()) - set(conda.items()))}"
    )


def test_constraints_pin_every_dependency():
    """The exact versions `make` installs (constraints.txt) cover every declared dependency."""
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = _split(spec)[0].replace("_", "-")
        assert name in pins, f"{name} is not pinned in constraints.txt"
