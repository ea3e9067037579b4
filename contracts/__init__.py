"""The contracts between the pipeline's parts, in one place (standard library only).

Components, handlers, the classifier container and the sandbox import these modules instead of
restating keys, environment variable names, statuses, failure codes, the run input, the manifest,
the upload rules, the API routes or the classifier's memory model. The package ships inside every
Lambda archive and the image.
"""
