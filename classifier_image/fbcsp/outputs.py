"""Train on one recording and write every output file: the step the CLI and the container share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from .export import write_model_files
from .recording import Recording
from .report import write_report
from .training import train
from .training_options import TrainingOptions
from .training_result import TrainingResult


def train_and_write(
    recording: Recording,
    out_dir: Path,
    options: TrainingOptions = TrainingOptions(),  # noqa: B008 - frozen dataclass
    facts: Mapping[str, str] | None = None,
    session_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[TrainingResult, dict[str, Path]]:
    """Train, then write ``classifier.json``, ``metrics.json``, ``report.html`` and ``figures/*.png``.

    Parameters
    ----------
    recording : Recording
    out_dir : Path
        Created if missing.
    options : TrainingOptions
    facts : mapping of str to str, optional
        Session facts for the report (input names, ids).
    session_id : str, optional
        Written as ``ssr_code`` in ``metrics.json``.
    progress : callable, optional
        Receives one line per stage.

    Returns
    -------
    result : TrainingResult
    written : dict of str to Path
        Path relative to ``out_dir`` (POSIX form, e.g. ``figures/accuracy.png``) -> file.

    Raises
    ------
    InputRejected
        From `train` (e.g. too few trials); nothing is written then.
    """
    report = progress or (lambda message: None)
    result = train(recording, options, progress=report)
    report("writing classifier.json and metrics.json")
    written = dict(write_model_files(result, out_dir, session_id))
    report("writing report.html and figures")
    written.update(write_report(result, out_dir, facts))
    return result, written
