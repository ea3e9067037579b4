"""One botocore data loader for every boto3/botocore session of the sandbox's process.

botocore gives each session a loader of its own, and a loader reads and decompresses the
endpoint and service model files (``endpoints.json``, ``ec2/…/service-2.json.gz``, up to a few
tenths of a second each) the first time its session needs them. The sandbox's process holds many
sessions: moto makes three when it is imported and more for its backends, the Step Functions
interpreter one, every role a handler runs under one (``handlers.common.clients``), the sandbox
one per thread and service. Without sharing, a ``make local`` run loaded 133 such files, among
them ``endpoints.json`` 14 times, the DynamoDB model 7 times and the EC2 model 6 times.

The loaded data is read-only (botocore already hands one loaded model to every client of a
session), and loaders are shared per search path, so a session configured with another
``AWS_DATA_PATH`` still gets its own. moto's own loader (``moto.core.loaders``, which adds moto's
model extras) is a different loader and is left alone.
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session

_shared_per_search_path = functools.cache(botocore.loaders.create_loader)


def share_one_loader() -> None:
    """Make every botocore session created from now on use the loader of its search path."""
    botocore.session.create_loader = _shared_per_search_path

