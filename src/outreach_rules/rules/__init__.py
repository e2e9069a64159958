"""Rules as value objects: triggers propose, guards place in time, channel rules always hold."""
