"""A stop signal ends a sandbox command even when it arrives inside library code that catches Exception."""

import signal

import pytest

from sandbox.signals import Stopped, stop_deferred, stop_on_signals

pytestmark = pytest.mark.unit


def _request_with_retries(attempts: list[int]) -> None:
    """Like botocore around an HTTP request: any Exception is caught and the request retried."""
    for attempt in range(3):
        attempts.append(attempt)
        try:
            if attempt == 0:
                signal.raise_signal(signal.SIGTERM)  # its Python handler runs before this call returns
            return
        except Exception:  # noqa: BLE001, S112 - the library behaviour this test stands in for
            continue


def test_a_signal_inside_a_catch_all_still_stops_the_command():
    attempts: list[int] = []

    with pytest.raises(Stopped) as stopped, stop_on_signals():
        _request_with_retries(attempts)

    assert stopped.value.signum == signal.SIGTERM
    assert attempts == [0], "the request was retried: the stop was swallowed"


def test_the_previous_handlers_come_back_after_the_block():
    before = signal.getsignal(signal.SIGTERM)

    with stop_on_signals():
        assert signal.getsignal(signal.SIGTERM) is not before

    assert signal.getsignal(signal.SIGTERM) is before


def test_a_stop_signal_during_a_deferred_block_stops_the_command_once_the_block_has_ended():
    finished: list[str] = []

    with pytest.raises(Stopped) as stopped, stop_on_signals():
        with stop_deferred():
            signal.raise_signal(signal.SIGINT)  # as Ctrl-C while Pulumi's event loop deploys the stack
            finished.append("block")
        finished.append("after the block")

    assert stopped.value.signum == signal.SIGINT
    assert finished == ["block"]


def test_a_deferred_block_without_a_signal_changes_nothing():
    before = signal.getsignal(signal.SIGINT)

    with stop_deferred():
        pass

    assert signal.getsignal(signal.SIGINT) is before
