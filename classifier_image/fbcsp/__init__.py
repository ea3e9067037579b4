"""Filter-Bank CSP training for two-class motor imagery (T1 vs T2).

A Python re-implementation of the AI4NG MATLAB training step, specified in
``shared/spec/classifier.md``, with the defects listed there fixed.
"""

__version__ = "1.0.0"
