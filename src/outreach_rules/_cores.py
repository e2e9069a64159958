"""Which planning core plans: the Rust core where it is built, or the Python planner.

``OUTREACH_RULES_CORE=rust|python`` picks one, read once, when first needed. Without it
the Rust core is used where the extension ``outreach_rules._core`` was built; where it
was not (a source install without a Rust toolchain), the Python planner is, and a
``CoreWarning`` says so once. Asking for ``rust`` where it is not built is an
error, never a silent fallback.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Literal

from outreach_rules.errors import EngineUnavailable

__all__ = ["CORES", "CoreName", "CoreWarning", "core_name", "rust_module", "using"]

CoreName = Literal["rust", "python"]
CORES: tuple[CoreName, ...] = ("rust", "python")
_VARIABLE = "OUTREACH_RULES_CORE"

_chosen: list[CoreName] = []


class CoreWarning(UserWarning):
    """The Rust core is not built here: planning runs on the slower Python planner."""


def rust_module() -> ModuleType | None:
    """The compiled core, where it was built."""
    try:
        from outreach_rules import _core  # type: ignore[attr-defined]  # noqa: PLC0415
    except ImportError:
        return None
    module: ModuleType = _core
    return module


def core_name() -> CoreName:
    """The core in use: chosen once, from ``OUTREACH_RULES_CORE`` or what is built."""
    if not _chosen:
        _chosen.append(_choose())
    return _chosen[-1]


@contextlib.contextmanager
def using(name: CoreName) -> Iterator[None]:
    """Plan on core ``name`` inside the block (the differential tests use both)."""
    _check_available(name)
    _chosen.append(name)
    try:
        yield
    finally:
        _chosen.pop()


def _choose() -> CoreName:
    asked = os.environ.get(_VARIABLE, "").strip().lower()
    if asked:
        if asked not in CORES:
            raise EngineUnavailable(
                "is not a planning core",
                field=_VARIABLE,
                value=asked,
                hint="use rust or python",
            )
        _check_available(asked)
        return asked
    if rust_module() is None:
        warnings.warn(
            "the Rust planning core is not built here, so outreach-rules plans on its "
            "Python planner, some 100 times slower; install with a Rust toolchain "
            "(cargo) to build it, or set OUTREACH_RULES_CORE=python to say so on purpose",
            CoreWarning,
            stacklevel=3,
        )
        return "python"
    return "rust"


def _check_available(name: CoreName) -> None:
    if name == "rust" and rust_module() is None:
        raise EngineUnavailable(
            "asks for the Rust core, which is not built in this installation",
            field=_VARIABLE,
            value=name,
            hint="reinstall where cargo is available, or use OUTREACH_RULES_CORE=python",
        )
