"""Project tools that are neither RTL nor tests (run as ``python -m tools.<name>``)."""
