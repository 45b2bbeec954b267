"""`python -W error` imports every module of the project without a warning (the test run itself
runs with filterwarnings=error, see pyproject.toml)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

PACKAGES = ("ssc", "reference_card", "terminal", "checks", "harness", "steps", "reports")
ROOT = Path(__file__).resolve().parents[2]


def all_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            names.append(info.name)
    return names


def test_every_module_imports_without_warnings() -> None:
    modules = all_modules()
    assert len(modules) > 30, modules
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
