"""The training loop (written once, over interchangeable backends), the command-line
run that feeds it, checkpoints and training curves.

May import: scratch.nn, scratch.optim, scratch.data, NumPy, the standard library; tqdm
and matplotlib lazily, inside the function that draws or shows progress.
"""
