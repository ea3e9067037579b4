"""Entrypoint of the classifier container: ``python -m fbcsp.container`` (architecture.md §6).

Reads its job from the environment, downloads exactly the upload version it names
(``INPUT_VERSION_ID``, the S3 ``VersionId``), reads it safely, trains, uploads
``classifier.json``, ``metrics.json``, ``report.html`` and ``figures/*.png`` under
``RESULTS_PREFIX`` and writes ``manifest.json`` last (docs/contracts.md, "Container manifest"), with
its own wall time from the job's start (``containerSeconds``, the operators' training-time metric).

The container has no AWS credentials: it reaches S3 only through its run's presigned URLs
(``RUN_ACCESS``, :mod:`contracts.run_access`), a GET of its upload version and a PUT per result
file of :data:`contracts.manifest.RESULT_FILES`. The URLs are secrets: it logs keys, never URLs.

Environment (:class:`contracts.environment.ContainerVariable`, read by :mod:`fbcsp.container_settings`):
the per-run variables the state machine passes (required); ``FBCSP_TASK_CPU`` (the task's CPU
units: the analysis uses no more CPUs than the task has, which Fargate does not show it);
``FBCSP_PERMUTATIONS`` (label
permutations, >= 1 because the manifest must carry a p-value; default: ``TrainingOptions``'
default) and ``FBCSP_SEED`` (default 0).

Exit codes (:class:`contracts.failures.ExitCode`): ``OK`` trained; ``REJECTED`` (failed manifest with
``INVALID_UPLOAD`` or ``INSUFFICIENT_DATA`` and nothing else written); ``UNEXPECTED`` (failed
manifest with ``CLASSIFIER_ERROR`` when S3 is reachable) or a missing/invalid environment;
``ACCESS_EXPIRED`` when S3 refused the run's URLs as expired (no manifest: they all expire together); ``STOPPED``
when SIGTERM arrives (ECS's first step in stopping a task): the job ends where it is and writes no
manifest, instead of running on until the stop timeout's SIGKILL (``KILLED``, as out of memory). Every
log line on stderr is one JSON object carrying ``userId``, ``sessionId``, ``runId`` and
``executionArn``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from contracts.environment import CONTAINER_RUN_FIELDS
from contracts.failures import ExitCode, FailureCode
from contracts.manifest import (
    CLASSIFIER_FILE,
    MANIFEST_NAME,
    METRICS_FILE,
    REPORT_FILE,
    Manifest,
    ManifestError,
    ManifestStatus,
    OutputName,
    manifest_key,
)
from contracts.run_input import LOG_FIELDS, json_name

from .container_settings import JobSettings, SettingsError, settings_from_environment
from .cpus import limit_cpus, worker_threads
from .errors import InputRejected
from .export import to_json_bytes
from .metrics import manifest_metrics
from .outputs import train_and_write
from .presigned import AccessExpired, PresignedTransfer
from .process_exit import exit_without_teardown
from .upload import read_upload

#: Manifest output name of each file written at the top of the output folder; figures keep their path.
OUTPUT_NAMES = {
    CLASSIFIER_FILE: OutputName.CLASSIFIER,
    METRICS_FILE: OutputName.METRICS,
    REPORT_FILE: OutputName.REPORT,
}
UNEXPECTED_MESSAGE = (
    "the classifier stopped on an unexpected error; the operators have the details in its log"
)


class StopRequested(BaseException):
    """SIGTERM arrived. A ``BaseException``, so that no ``except Exception`` of the job catches it."""


def stop_on_sigterm(signal_number: int, frame: object) -> None:  # noqa: ARG001 - a signal handler's signature
    """Signal handler: end the job where it is, once (a second SIGTERM must not interrupt the unwinding)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise StopRequested


def iso_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the contracts' timestamp shape)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class JsonLog:
    """Writes one JSON object per line: time, level, message, the job ids and any extra fields."""

    ids: dict[str, str] = field(default_factory=dict)
    stream: TextIO = sys.stderr

    def __call__(self, level: str, message: str, **fields: Any) -> None:
        record = {"time": iso_now(), "level": level, "message": message, **self.ids, **fields}
        print(json.dumps(record, default=str), file=self.stream, flush=True)


@dataclass(frozen=True)
class JobClock:
    """When the job started: the wall-clock time for ``startedAt``, and a monotonic instant to measure
    ``containerSeconds`` from (a wall-clock step, such as a time sync, cannot change it)."""

    started_at: str = field(default_factory=iso_now)
    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        """The seconds since the job started, to a tenth."""
        return round(time.monotonic() - self.started, 1)


def build_manifest(
    settings: JobSettings,
    clock: JobClock,
    outputs: Mapping[str, str] | None = None,
    metrics: Mapping[str, Any] | None = None,
    error: tuple[str, str] | None = None,
) -> Manifest:
    """The manifest, finished now: ``succeeded`` without ``error``, ``failed`` (empty outputs/metrics) with it."""
    return Manifest(
        user_id=settings.user_id,
        session_id=settings.session_id,
        run_id=settings.run_id,
        status=ManifestStatus.FAILED if error else ManifestStatus.SUCCEEDED,
        started_at=clock.started_at,
        finished_at=iso_now(),
        outputs={} if error else dict(outputs or {}),
        metrics={} if error else dict(metrics or {}),
        error=ManifestError(*error) if error else None,
        container_seconds=clock.seconds(),
    )


def output_name(relative_path: str) -> str:
    """Manifest name of a written file: classifier, metrics, report, or a figure's relative path."""
    return OUTPUT_NAMES.get(relative_path, relative_path)


def upload_outputs(transfer: PresignedTransfer, settings: JobSettings, written: Mapping[str, Path]) -> dict[str, str]:
    """Upload every written file under the results prefix; return manifest name -> S3 key."""
    outputs = {}
    for relative in sorted(written):
        transfer.put_result(relative, written[relative].read_bytes())
        outputs[output_name(relative)] = f"{settings.results_prefix}{relative}"
    return outputs


def put_manifest(transfer: PresignedTransfer, settings: JobSettings, manifest: Manifest) -> str:
    """Write ``manifest.json`` under the results prefix; return its key."""
    transfer.put_result(MANIFEST_NAME, to_json_bytes(manifest.to_dict()))
    return manifest_key(settings.results_prefix)


def run_job(settings: JobSettings, transfer: PresignedTransfer, log: Callable[..., None]) -> int:
    """Download, read, train, upload and write the manifest; return the exit code.

    Input problems (`InputRejected`) give a failed manifest with their code and exit 2; URLs S3
    refuses as expired (`AccessExpired`) exit 3 without one; anything else gives a
    ``CLASSIFIER_ERROR`` manifest (when S3 still answers) and exit 1.
    """
    clock = JobClock()

    def fail(code: str, message: str, exit_code: ExitCode) -> int:
        try:
            put_manifest(transfer, settings, build_manifest(settings, clock, error=(code, message)))
        except Exception as exc:  # noqa: BLE001 - S3 may be the very thing that failed
            log("ERROR", "could not write the failed manifest", error=f"{type(exc).__name__}: {exc}")
            return ExitCode.UNEXPECTED
        log("INFO", "wrote failed manifest", code=code, exitCode=exit_code)
        return exit_code

    try:
        with tempfile.TemporaryDirectory(prefix="fbcsp-job-") as workdir:
            zip_path = Path(workdir) / "upload.zip"
            log(
                "INFO",
                "downloading upload",
                bucket=settings.input_bucket,
                key=settings.input_key,
                versionId=settings.input_version_id,
            )
            transfer.download_input(zip_path)
            recording = read_upload(zip_path)
            log(
                "INFO",
                "read upload",
                channels=recording.n_channels,
                samples=recording.n_samples,
                sampleRateHz=recording.sfreq,
                cues=int(recording.event_codes.size),
            )
            facts = {
                "Input": settings.input_key,
                "User": settings.user_id,
                "Session": settings.session_id,
                "Run": settings.run_id,
            }
            with limit_cpus(settings.task_cpus):
                log("INFO", "training", workerThreads=worker_threads(), taskCpus=settings.task_cpus)
                result, written = train_and_write(
                    recording,
                    Path(workdir) / "out",
                    settings.options,
                    facts=facts,
                    session_id=settings.session_id,
                    progress=lambda message: log("INFO", message),
                )
            outputs = upload_outputs(transfer, settings, written)
        metrics = manifest_metrics(result)
        written_manifest = put_manifest(transfer, settings, build_manifest(settings, clock, outputs, metrics))
        log("INFO", "training succeeded", manifest=written_manifest, metrics=metrics)
        return ExitCode.OK
    except InputRejected as exc:
        log("WARNING", "input rejected", code=exc.code, reason=exc.message)
        return fail(exc.code, exc.message, ExitCode.REJECTED)
    except AccessExpired as exc:
        log("ERROR", "the run's access to storage expired; no manifest can be written", error=str(exc))
        return ExitCode.ACCESS_EXPIRED
    except Exception as exc:  # noqa: BLE001 - every other failure is reported as CLASSIFIER_ERROR
        log(
            "ERROR",
            "unexpected error",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
        return fail(FailureCode.CLASSIFIER_ERROR, UNEXPECTED_MESSAGE, ExitCode.UNEXPECTED)


def main(environment: Mapping[str, str] | None = None, stream: TextIO | None = None) -> int:
    """Run one job from ``environment`` (default ``os.environ``); returns the exit code.

    Parameters
    ----------
    environment : mapping, optional
    stream : text stream, optional
        Where the JSON log lines go (default stderr).
    """
    environment = os.environ if environment is None else environment
    log = JsonLog(
        ids={
            json_name(field_name): environment.get(variable, "")
            for variable, field_name in CONTAINER_RUN_FIELDS.items()
            if json_name(field_name) in LOG_FIELDS
        },
        stream=stream or sys.stderr,
    )
    try:
        settings = settings_from_environment(environment)
        return run_job(settings, PresignedTransfer(settings.access), log)
    except SettingsError as exc:
        log("ERROR", f"invalid container environment: {exc}")
        return ExitCode.UNEXPECTED
    except StopRequested:
        log("WARNING", "stopped by SIGTERM before the job finished; no manifest written", exitCode=ExitCode.STOPPED)
        return ExitCode.STOPPED


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    exit_without_teardown(main())
