"""Benchmarks of the NumPy core and training step against torch and jax (see cases.py)."""
