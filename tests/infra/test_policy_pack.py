"""The policy pack itself, as the Pulumi engine runs it: its analyzer plugin, started from policy/venv.

The engine talks to a policy pack over gRPC (the Analyzer service). These tests start the pack the
same way, ask for its policies, and send it the resources the mock stack declares and a broken one,
so the wiring in policy/__main__.py is checked, not only the rules it wraps.
"""

import json
import subprocess
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from policy.rules import BUCKET, BUCKET_ENCRYPTION, BUCKET_PUBLIC_ACCESS_BLOCK, RULES

pytestmark = pytest.mark.unit

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
POLICY_PYTHON = POLICY_DIR / "venv" / "bin" / "python"
MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")


@pytest.fixture(scope="module")
def analyzer():
    if not POLICY_PYTHON.is_file():
        pytest.fail(f"the policy pack's virtualenv is missing ({POLICY_PYTHON}); run `make policy`")
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [str(POLICY_PYTHON), "__main__.py"], cwd=POLICY_DIR, stdout=subprocess.PIPE, text=True
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the policy pack did not announce its port: {port!r}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=300)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _urn(type_token, name):
    return f"urn:pulumi:test::eeg-pipeline::{type_token}::{name}"


def _resource(type_token, name, props):
    properties = struct_pb2.Struct()
    # Assets (the Lambda code archives) travel as opaque values; no rule reads them.
    properties.update(json.loads(json.dumps(props, default=lambda value: type(value).__name__)))
    return {"type": type_token, "name": name, "urn": _urn(type_token, name), "properties": properties}


def _stack_resource(type_token, name, props, bucket_from=None):
    """A resource as AnalyzeStack receives it; ``bucket_from`` is the URN its ``bucket`` argument comes from."""
    dependencies = {"bucket": analyzer_pb2.AnalyzerPropertyDependencies(urns=[bucket_from])} if bucket_from else {}
    return analyzer_pb2.AnalyzerResource(**_resource(type_token, name, props), propertyDependencies=dependencies)


def _analyze_stack(analyzer, resources):
    return list(analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources)).diagnostics)


def test_the_pack_registers_every_rule_as_mandatory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())

    assert info.name == "eeg-pipeline-policies"
    assert [policy.name for policy in info.policies] == [rule.name for rule in RULES]
    assert {policy.enforcementLevel for policy in info.policies} == {MANDATORY}


def test_the_declared_stack_passes_the_pack(analyzer, self_contained_stack):
    declared = self_contained_stack.resources.resources

    # As the engine does: each resource's inputs, then the whole stack's outputs.
    per_resource = [
        diagnostic.message
        for item in declared
        for diagnostic in analyzer.Analyze(
            analyzer_pb2.AnalyzeRequest(**_resource(item.type_token, item.name, item.inputs))
        ).diagnostics
    ]
    stack = _analyze_stack(analyzer, [_stack_resource(item.type_token, item.name, item.outputs) for item in declared])

    assert per_resource == []
    assert stack == []


def test_the_pack_blocks_a_route_without_an_authorizer(analyzer):
    route = _resource("aws:apigatewayv2/route:Route", "open", {"routeKey": "GET /open", "authorizationType": "NONE"})

    (diagnostic,) = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(**route)).diagnostics

    assert diagnostic.policyName == "routes-require-authorizer"
    assert diagnostic.enforcementLevel == MANDATORY
    assert "GET /open" in diagnostic.message


def test_the_pack_blocks_a_bucket_without_encryption_across_the_stack(analyzer):
    bucket = analyzer_pb2.AnalyzerResource(**_resource("aws:s3/bucket:Bucket", "bare", {}))

    diagnostics = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[bucket])).diagnostics

    assert {diagnostic.policyName for diagnostic in diagnostics} == {"buckets-encrypted-and-blocked"}


def test_the_pack_reports_a_bucket_whose_encryption_configuration_points_at_another(analyzer, self_contained_stack):
    stack = self_contained_stack.resources
    uploads, results = stack.of_type(BUCKET)
    (results_encryption,) = stack.attached_to(BUCKET_ENCRYPTION, "bucket", results.resource_id)
    resources = [
        _stack_resource(
            item.type_token,
            item.name,
            {**item.outputs, "bucket": uploads.resource_id} if item is results_encryption else item.outputs,
        )
        for item in stack.resources
    ]

    (diagnostic,) = _analyze_stack(analyzer, resources)

    assert diagnostic.policyName == "buckets-encrypted-and-blocked"
    assert diagnostic.enforcementLevel == MANDATORY
    assert diagnostic.message.endswith(f"\nbucket {results.name} has no default-encryption configuration")


def _preview(companion_sources):
    """Two new buckets (names known, ids not), and for each bucket an encryption configuration and a public access
    block whose ``bucket`` is the unknown id of the bucket ``companion_sources`` maps it to."""
    buckets = {name: _stack_resource(BUCKET, name, {"bucket": f"{name}-1a2b3c4"}) for name in ("uploads", "results")}
    companions = [
        _stack_resource(type_token, f"{owner}-{type_token.rsplit(':', 1)[1]}", {"bucket": UNKNOWN},
                        bucket_from=buckets[source].urn)
        for owner, source in companion_sources.items()
        for type_token in (BUCKET_ENCRYPTION, BUCKET_PUBLIC_ACCESS_BLOCK)
    ]
    return [*buckets.values(), *companions]


def test_the_pack_matches_companions_to_their_buckets_during_a_preview(analyzer):
    assert _analyze_stack(analyzer, _preview({"uploads": "uploads", "results": "results"})) == []


def test_the_pack_reports_a_bucket_whose_companions_come_from_another_during_a_preview(analyzer):
    diagnostics = _analyze_stack(analyzer, _preview({"uploads": "uploads", "results": "uploads"}))

    assert [(diagnostic.policyName, diagnostic.enforcementLevel) for diagnostic in diagnostics] == [
        ("buckets-encrypted-and-blocked", MANDATORY)
    ] * 2
    # A diagnostic's message is the policy's description, then the violation.
    assert [diagnostic.message.splitlines()[-1] for diagnostic in diagnostics] == [
        "bucket results has no default-encryption configuration",
        "bucket results has no public access block",
    ]
