"""Benchmarks that print figures; `python -m bench` measures the service beside its ceilings (issue #11)."""
