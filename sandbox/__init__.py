"""The pipeline on one machine, offline: emulated AWS (moto), the deployed ASL, the real handlers
and the classifier container. Run ``python -m sandbox --help``.

Importing the package makes the process's botocore sessions share one loader
(:mod:`sandbox.botocore_models`), before moto is imported and makes its first sessions.
"""

from .botocore_models import share_one_loader

share_one_loader()
