"""What went into a run: file hashes, package versions, the suite's git commit."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .reference import PROJECT_ROOT

__all__ = ["sha256_file", "input_hashes", "package_versions", "git_commit", "suite_hashes", "PACKAGES"]

PACKAGES = ("asdm", "numpy", "pandas", "numpy-financial", "scipy", "pydantic", "pyyaml", "plotly", "papermill",
            "nbconvert", "nbformat", "ipykernel", "ipywidgets")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def input_hashes(paths, base: Path | None = None) -> dict:
    """``{path: sha256}`` sorted by path; paths relative to ``base`` (POSIX style) when given, else to the project."""
    out = {}
    for p in sorted(Path(p).resolve() for p in paths):
        key = Path(os.path.relpath(p, Path(base).resolve())).as_posix() if base is not None else _shown(p)
        out[key] = sha256_file(p)
    return out


PACKAGE_DIR = Path(__file__).resolve().parent


def suite_hashes(package_dir: Path = PACKAGE_DIR) -> dict:
    """``{"asdm_models/<file>": sha256}`` of every file of the installed package (code, templates, data).

    Recorded in each run's manifest, so ``asdm verify`` catches a formula changed since the run,
    whether the package is a checkout or an installed copy. Caches (``__pycache__``) are left out:
    Python rewrites them itself.
    """
    package_dir = Path(package_dir)
    files = [p for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return {p.relative_to(package_dir.parent).as_posix(): sha256_file(p) for p in sorted(files)}


def package_versions() -> dict:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> dict:
    """The suite's git commit and whether the working tree had uncommitted changes (None where git is absent)."""
    def run(*args):
        try:
            return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True,
                                  timeout=10, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None, "python": sys.executable}
