"""Optional dependencies, imported only when a feature that needs them is used.

pandas and matplotlib come with the ``notebook`` extra; asking for a DataFrame or a plot
without them raises ``MissingDependency``, which names the
extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from outreach_rules.errors import MissingDependency

__all__ = ["require"]


def require(module: str, *, extra: str, purpose: str) -> ModuleType:
    """``module``, imported; or a ``MissingDependency`` saying what to install.

    ``purpose`` names what needs it (``"Plan.to_pandas()"``), for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".", 1)[0]
        raise MissingDependency(
            f"is not installed, and {purpose} needs it",
            field="package",
            value=package,
            hint=f"install the {extra!r} extra: pip install 'outreach-rules[{extra}]'",
            package=package,
            extra=extra,
        ) from error
