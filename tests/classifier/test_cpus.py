"""How many CPUs the analysis uses: scheduler affinity, cgroup quota and the task's size, one worker
thread per CPU (that results do not depend on the thread count: test_time_resolved.py)."""

import pytest

from fbcsp import cpus

pytestmark = pytest.mark.classifier


@pytest.mark.parametrize(
    ("quota", "period", "expected"),
    [("150000", "100000", 1.5), ("50000\n", "100000\n", 0.5), ("max", "100000", None), ("-1\n", "100000\n", None)],
)
def test_quota_cpus_reads_cgroup_v2_and_v1_values(quota, period, expected):
    assert cpus.quota_cpus(quota, period) == expected


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """A machine of four schedulable CPUs whose cgroup files are in ``tmp_path`` (none written yet)."""
    monkeypatch.setattr(cpus.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(cpus, "CGROUP_V2_CPU_MAX", tmp_path / "cpu.max")
    monkeypatch.setattr(cpus, "CGROUP_V1_CPU_QUOTA", (tmp_path / "cfs_quota_us", tmp_path / "cfs_period_us"))
    cpus.machine_cpus.cache_clear()
    yield tmp_path
    cpus.machine_cpus.cache_clear()


def test_without_a_quota_every_schedulable_cpu_is_usable(machine):
    assert cpus.cgroup_cpus() is None
    assert cpus.usable_cpus() == 4
    assert cpus.worker_threads() == cpus.MAX_WORKER_THREADS


def test_a_cgroup_v2_quota_limits_the_cpus(machine):
    (machine / "cpu.max").write_text("150000 100000\n")

    assert cpus.usable_cpus() == 1.5
    assert cpus.worker_threads() == 1


def test_a_cgroup_v1_quota_limits_the_cpus(machine):
    (machine / "cfs_quota_us").write_text("300000\n")
    (machine / "cfs_period_us").write_text("100000\n")

    assert cpus.usable_cpus() == 3


def test_an_unreadable_quota_is_no_limit(machine):
    (machine / "cpu.max").write_text("garbage\n")

    assert cpus.cgroup_cpus() is None


def test_limit_cpus_holds_only_inside_its_block(machine):
    with cpus.limit_cpus(0.25):
        assert cpus.usable_cpus() == 0.25
        assert cpus.worker_threads() == 1
        with cpus.limit_cpus(None):
            assert cpus.usable_cpus() == 4
    assert cpus.worker_threads() == cpus.MAX_WORKER_THREADS


def test_a_limit_above_the_machine_does_not_add_cpus(machine):
    with cpus.limit_cpus(16):
        assert cpus.usable_cpus() == 4
