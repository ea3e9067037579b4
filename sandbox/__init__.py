"""The pipeline on one machine, offline: emulated AWS (moto), the deployed ASL, the real handlers
and the classifier container. Run ``python -m sandbox --help``."""
