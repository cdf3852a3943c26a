"""The network: components with a hand-written forward and backward pass (Linear,
activations, softmax, losses, dropout), their composition (MLP) and the perceptron.

May import: NumPy, the standard library and scratch.protocol. Nothing else.
"""
