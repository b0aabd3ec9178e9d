"""Rebuild the README's generated tables (drivers, line fields) from asdm_models.catalogue."""

from pathlib import Path

from asdm_models.catalogue import render_readme

README = Path(__file__).resolve().parent.parent / "README.md"

if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render_readme(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: generated tables updated")
    else:
        print("README.md: generated tables already up to date")
