"""CrossGuard policy pack ``eeg-pipeline-policies``: every rule of ``rules.py``, mandatory.

Run with ``pulumi preview --policy-pack policy`` (the workflows do); ``rules.py`` holds the logic
so the unit tests can run it over the Pulumi mocks' resources.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from rules import RULES, Resource, Rule


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule.check(args.resource_type, args.props):
            report_violation(message, args.urn)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate)


def _as_rule_resource(item: PolicyResource) -> Resource:
    sources = {
        argument: tuple(source.urn for source in found) for argument, found in item.property_dependencies.items()
    }
    return Resource(item.resource_type, item.name, item.props, item.urn, sources)


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [_as_rule_resource(item) for item in args.resources]
        for message in rule.check(resources):
            report_violation(message, None)

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate)


PolicyPack(
    name="eeg-pipeline-policies",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[_stack_policy(rule) if rule.stack_level else _resource_policy(rule) for rule in RULES],
)
