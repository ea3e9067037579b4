"""The classifier container's job (`JobSettings`), read and checked from its environment by
`settings_from_environment`: the per-run variables the state machine passes and the optional
``FBCSP_TASK_CPU``, ``FBCSP_PERMUTATIONS`` and ``FBCSP_SEED``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.environment import CONTAINER_REQUIRED, ContainerVariable
from contracts.run_access import RunAccess, RunAccessError
from contracts.task_size import CPU_UNITS_PER_VCPU

from .training_options import TrainingOptions


class SettingsError(ValueError):
    """The container's environment is missing a variable or holds an invalid value."""


@dataclass(frozen=True)
class JobSettings:
    """One training job, as given by the environment."""

    input_bucket: str
    input_key: str
    input_version_id: str
    results_prefix: str
    user_id: str
    session_id: str
    run_id: str
    execution_arn: str
    access: RunAccess
    options: TrainingOptions = field(default_factory=TrainingOptions)
    #: vCPUs of the run's task, when the state machine says (``FBCSP_TASK_CPU``).
    task_cpus: float | None = None


def _integer(environment: Mapping[str, str], name: str, default: int, minimum: int | None) -> int:
    text = environment.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _task_cpus(environment: Mapping[str, str]) -> float | None:
    units = _integer(environment, ContainerVariable.TASK_CPU, 0, minimum=1)
    return units / CPU_UNITS_PER_VCPU if units else None


def settings_from_environment(environment: Mapping[str, str]) -> JobSettings:
    """Read and check the job's environment variables.

    ``RESULTS_PREFIX`` gets a trailing ``/`` if it lacks one.

    Raises
    ------
    SettingsError
        Naming every missing variable, or the first invalid value.
    """
    missing = [str(name) for name in CONTAINER_REQUIRED if not environment.get(name, "").strip()]
    if missing:
        raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
    values = {name: environment[name].strip() for name in CONTAINER_REQUIRED}
    prefix = values[ContainerVariable.RESULTS_PREFIX]
    if prefix.startswith("/") or ".." in prefix.split("/"):
        raise SettingsError(
            f"{ContainerVariable.RESULTS_PREFIX} must be a relative key prefix without '..', got {prefix!r}"
        )
    try:
        access = RunAccess.decode(values[ContainerVariable.RUN_ACCESS])
    except RunAccessError as exc:
        raise SettingsError(str(exc)) from None
    options = TrainingOptions(
        n_permutations=_integer(
            environment, ContainerVariable.PERMUTATIONS, TrainingOptions.n_permutations, minimum=1
        ),
        random_state=_integer(
            environment, ContainerVariable.SEED, TrainingOptions.random_state, minimum=None
        ),
    )
    return JobSettings(
        input_bucket=values[ContainerVariable.INPUT_BUCKET],
        input_key=values[ContainerVariable.INPUT_KEY],
        input_version_id=values[ContainerVariable.INPUT_VERSION_ID],
        results_prefix=prefix if prefix.endswith("/") else prefix + "/",
        user_id=values[ContainerVariable.USER_ID],
        session_id=values[ContainerVariable.SESSION_ID],
        run_id=values[ContainerVariable.RUN_ID],
        execution_arn=values[ContainerVariable.EXECUTION_ARN],
        access=access,
        options=options,
        task_cpus=_task_cpus(environment),
    )
