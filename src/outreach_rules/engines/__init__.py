"""Trigger matchers: they turn a policy's triggers and a history into proposals."""
