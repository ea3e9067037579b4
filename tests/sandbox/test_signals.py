"""A stop signal ends a sandbox command even when it arrives inside library code that catches Exception."""

import signal
import time

import pytest

from sandbox.signals import Stopped, run_stoppable, stop_deferred, stop_on_signals

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


@pytest.fixture
def sigint_ignored():
    """SIGINT ignored, as a background job of a non-interactive shell starts (``serve &`` in a script)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGINT, previous)


def _loading_interrupted_by(stop_signal: signal.Signals):
    """A command whose loading (its imports: about a second) gets ``stop_signal``."""
    signal.raise_signal(stop_signal)
    time.sleep(1)
    return lambda: 0


@pytest.mark.usefixtures("sigint_ignored")
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_while_the_command_loads_stops_it_with_its_exit_code_and_says_so(stop_signal, capsys):
    exit_code = run_stoppable(lambda: _loading_interrupted_by(stop_signal))

    assert exit_code == 128 + stop_signal
    assert capsys.readouterr().err == f"{stop_signal.name}: stopped before the end\n"
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN, "the previous handlers come back"


def test_a_command_that_loads_and_runs_undisturbed_gives_its_own_exit_code():
    assert run_stoppable(lambda: lambda: 3) == 3
