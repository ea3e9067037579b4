"""Lambda handlers of the EEG training pipeline (Python + boto3 on aws-lambda-powertools, no Pulumi).

One module per function (``start``, ``validate``, ``process_results``, ``record_failure``,
``api``), each exposing ``handler(event, context)``; shared code lives in ``handlers.common``.
The interfaces between these functions, the state machine and the container are pinned in
``docs/contracts.md``.
"""
