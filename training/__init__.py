"""Training and evaluation entry points (also reachable as `triage train`)."""
