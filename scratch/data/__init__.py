"""The data side: shipped data sets (the .npz files beside this file), toy sets, CSV
loading, stratified splits and the train-only standardizer.

May import: NumPy, the standard library and scratch.protocol.
"""
