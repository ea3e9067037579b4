"""Reading the classifier's JSON outputs strictly: NaN and Infinity, which strict JSON has not, are refused."""

import json


def reject_constant(name):
    raise ValueError(f"non-strict JSON constant {name}")


def load_strict(path):
    return json.loads(path.read_text(encoding="ascii"), parse_constant=reject_constant)
