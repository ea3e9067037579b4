"""Code shared by the Lambda handlers: keys and ids, the status store, failure codes, settings,
AWS clients, structured logging, upload and manifest checks, and JSON/DynamoDB conversions."""
