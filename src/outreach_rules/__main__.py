"""``python -m outreach_rules``: the same program as ``outreach-rules``."""

from __future__ import annotations

import sys

from outreach_rules.cli import main

sys.exit(main())
