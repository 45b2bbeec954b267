"""Reading the project's YAML data files (declarations, region registry, invalid-card lists, ...).

Each file starts with ``format: <name>/<version>``; a file that cannot be read, is not YAML, is not
a mapping or has another format raises the caller's error class as ``<file>: <field>: <problem>``,
so a lab editing the file sees where it went wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_data_file(path: Path, fmt: str, error: type[Exception], *, what: str = "") -> dict[str, Any]:
    """The top-level mapping of `path`, checked for ``format: fmt``. `what` names the file's kind
    in the "cannot read" message (e.g. "the issuer declaration")."""
    src = path.name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except OSError as exc:
        raise error(f"{path}: cannot read{' ' + what if what else ''}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{src}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"{src}: (file): expected a mapping at the top level")
    if data.get("format") != fmt:
        raise error(f"{src}: format: expected {fmt!r}, got {data.get('format')!r}")
    return data
