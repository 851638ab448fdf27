"""pyworld, the WORLD vocoder's Python binding, loaded at the cost of its compiled module only.

NOTE: pyworld 0.3.5's ``__init__`` imports pkg_resources only to read its own version: 70-120 ms
of every conversion's start-up, and an ImportError wherever setuptools is not installed (Python
3.12+ venvs) or is new enough to have dropped pkg_resources. The compiled module
``pyworld.pyworld`` holds the whole API, so `pyworld()` loads it directly; when it cannot be
found that way, the package is imported as usual.
"""

from __future__ import annotations

import sys
from functools import cache
from types import ModuleType


@cache
def pyworld() -> ModuleType:
    """pyworld's compiled module (``pyworld.pyworld``), without the package's ``__init__``."""
    import importlib.machinery
    import importlib.util
    from pathlib import Path

    loaded = sys.modules.get("pyworld.pyworld")
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("pyworld")  # finds the package without running it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"pyworld{suffix}"
            if not path.is_file():
                continue
            loader = importlib.machinery.ExtensionFileLoader("pyworld.pyworld", str(path))
            found = importlib.util.spec_from_file_location("pyworld.pyworld", path, loader=loader)
            if found is None:
                continue
            module = importlib.util.module_from_spec(found)
            loader.exec_module(module)
            # Registered under its real name: a later `import pyworld` reuses it.
            sys.modules["pyworld.pyworld"] = module
            return module
    import pyworld as package

    return package
