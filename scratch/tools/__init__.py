"""The learner's tools: gradient checks, the shape ledger, learning-rate exploration and
the diagnosis of a run that does not train.

May import: everything else in scratch/, NumPy and the standard library.
"""
