"""A custom policy that extends the playbook, checked, then compared with the playbook.

Run it with ``python examples/custom_policy.py``. ``my-policy.toml`` names
``extends = "default"`` and changes a priority, a cap, drops a trigger and adds a rule.
"""

from __future__ import annotations

from pathlib import Path

from plan_from_python import plan_shop

from outreach_rules import Policy

HERE = Path(__file__).parent


def differences(base: Policy, mine: Policy) -> list[str]:
    """Decisions that differ between the two policies, customer by customer."""
    lines = []
    for ours, theirs in zip(plan_shop(mine), plan_shop(base), strict=True):
        before = {(d.intent, d.ref): d for d in theirs}
        after = {(d.intent, d.ref): d for d in ours}
        for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0], k[1] or "")):
            old, new = before.get(key), after.get(key)
            old_text = "-" if old is None else f"{old.status} {old.send_at or ''}".strip()
            new_text = "-" if new is None else f"{new.status} {new.send_at or ''}".strip()
            if old_text != new_text:
                who = f"{ours.customer.id:<14} {key[0]:<16} {key[1] or '':<12}"
                lines.append(f"{who} {old_text} -> {new_text}")
    return lines


def main() -> list[str]:
    mine = Policy.from_file(HERE / "my-policy.toml")
    print(f"{mine.name} {mine.version}: {len(mine.triggers)} triggers, {len(mine.guards)} guards")
    for finding in mine.lint():
        print(f"  lint: {finding}")
    changed = differences(Policy.default(), mine)
    differ = "decision differs" if len(changed) == 1 else "decisions differ"
    print(f"{len(changed)} {differ} from the playbook's:")
    print("\n".join(changed))
    return changed


if __name__ == "__main__":
    main()
