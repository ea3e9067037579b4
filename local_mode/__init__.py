"""The pipeline on one machine, offline: emulated AWS (moto), the deployed ASL, the real handlers
and the classifier container's entrypoint. Run ``python -m local_mode --help``."""
