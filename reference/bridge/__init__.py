"""The bridge out of this project: a scratch checkpoint exported to plain PyTorch
(export_torch) and to plain JAX + optax (export_jax), imported back (importer), and the
hand-off demo that continues a scratch run in both (handoff)."""
