"""The deterministic synthetic demo facility (no real person's data)."""
