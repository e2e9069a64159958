"""Builds the Rust planning core into ``outreach_rules._core`` where cargo is available.

Without a Rust toolchain the package installs without it and plans on the Python core,
slower (it says so once). ``OUTREACH_RULES_BUILD_CORE=0`` leaves the core out on purpose
(to try that fallback); ``=1`` makes a missing toolchain an error instead.
"""

from __future__ import annotations

import os
import shutil

from setuptools import setup


def _rust_extensions() -> list[object]:
    wanted = os.environ.get("OUTREACH_RULES_BUILD_CORE", "auto")
    if wanted == "0" or (wanted == "auto" and shutil.which("cargo") is None):
        return []
    from setuptools_rust import Binding, RustExtension  # noqa: PLC0415 - only with cargo

    return [
        RustExtension(
            "outreach_rules._core",
            path="rust/python/Cargo.toml",
            binding=Binding.PyO3,
            # The committed Cargo.lock, exactly: a build never resolves versions anew.
            args=["--locked"],
            # Optimised in editable installs too (setuptools-rust's default there is a
            # debug build, some 30 times slower): the test suite and benchmarks use them.
            debug=False,
        )
    ]


setup(rust_extensions=_rust_extensions())
