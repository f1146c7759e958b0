"""Services: the only way the UI and the CLI read or change facility data."""
