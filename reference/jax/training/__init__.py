"""Twin of scratch/training/train.py: the training backend on jax."""
