"""A researcher's client of a deployed EEG pipeline stack, and the post-deploy smoke test.

It is written as an outside application would be: it knows the stack outputs (the JSON of
``pulumi stack output --json``) and a bearer token, and speaks plain HTTP to the Status API and
to the presigned S3 URLs the API hands out. It imports nothing from this repository's internal
packages, so it can be copied into a researcher's project on its own (its one dependency is
``requests``); the tests check that the routes and statuses it relies on match the API's.
"""
