"""The CloudWatch metrics the pipeline publishes itself, and that its alarms and dashboard read.

A function publishes one in CloudWatch's Embedded Metric Format: a JSON line in its log, which
CloudWatch Logs turns into the metric (no API call, no permission). Every metric carries one
dimension, :data:`PIPELINE_DIMENSION`, whose value is the stack's pipeline (``processing-{stack}``,
``FunctionVariable.PIPELINE_NAME``), so that the stacks of one account keep theirs apart.
"""

NAMESPACE = "EegPipeline"
PIPELINE_DIMENSION = "Pipeline"
#: A successful run's classifier container: its wall time in seconds (the manifest's
#: ``containerSeconds``), published by process_results; the training-time alarm's metric.
CONTAINER_SECONDS = "ContainerSeconds"
