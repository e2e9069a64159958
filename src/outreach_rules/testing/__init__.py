"""Test helpers for code built on outreach-rules: hypothesis strategies.

This subpackage needs hypothesis (``pip install 'outreach-rules[testing]'``); the library
itself never imports it.
"""

from __future__ import annotations

from outreach_rules.testing.strategies import ZONE_NAMES, epoch_instants, instants, zones

__all__ = ["ZONE_NAMES", "epoch_instants", "instants", "zones"]
