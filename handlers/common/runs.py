"""The state machine input that ``start`` writes and every later step reads (docs/contracts.md)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class RunInput:
    """One run: which upload version it processes and where its results go."""

    bucket: str
    key: str
    upload_version: str
    size: int
    user_id: str
    session_id: str
    run_id: str
    results_prefix: str

    def as_state(self) -> dict[str, Any]:
        """The execution input, in the contract's camelCase."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "uploadVersion": self.upload_version,
            "size": self.size,
            "userId": self.user_id,
            "sessionId": self.session_id,
            "runId": self.run_id,
            "resultsPrefix": self.results_prefix,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "RunInput":
        """Read the run's fields from a state (extra fields such as ``validation`` or ``error`` are ignored).

        Raises
        ------
        ValueError
            If a field is missing or has the wrong type: the state machine was given a bad input.
        """
        text_fields = ("bucket", "key", "uploadVersion", "userId", "sessionId", "runId", "resultsPrefix")
        missing = [name for name in text_fields if not isinstance(state.get(name), str) or not state[name]]
        size = state.get("size")
        if missing or not isinstance(size, int) or isinstance(size, bool):
            raise ValueError(f"the state lacks valid run fields: {missing or ['size']}")
        return cls(
            bucket=state["bucket"],
            key=state["key"],
            upload_version=state["uploadVersion"],
            size=size,
            user_id=state["userId"],
            session_id=state["sessionId"],
            run_id=state["runId"],
            results_prefix=state["resultsPrefix"],
        )

    def log_fields(self) -> dict[str, str]:
        """The ids to bind to log lines while working on this run."""
        return {"userId": self.user_id, "sessionId": self.session_id, "runId": self.run_id}
