"""contracts.task_size: the Fargate size a run gets from its predicted memory need."""

import pytest

from contracts.task_size import (
    FARGATE_MEMORY_BY_CPU,
    TaskSize,
    fargate_sizes,
    maximum_size,
    retry_size_for,
    size_for,
    task_size_path,
)

pytestmark = pytest.mark.unit

DEFAULT = TaskSize(1024, 2048)
TINY = TaskSize(256, 512)

# need (MiB, margin included), default size, maximum memory (MiB) → the run's size (None: refused)
SIZING_TABLE = [
    # a small need gets the default, never less
    (1.0, DEFAULT, 8192, DEFAULT),
    (2048.0, DEFAULT, 8192, DEFAULT),
    # just above a size: the next memory step at the same CPU
    (2048.001, DEFAULT, 8192, TaskSize(1024, 3072)),
    (3073.0, DEFAULT, 8192, TaskSize(1024, 4096)),
    # exactly the maximum is accepted, a fraction more is refused
    (8192.0, DEFAULT, 8192, TaskSize(1024, 8192)),
    (8192.5, DEFAULT, 8192, None),
    # past what the default CPU accepts: the least CPU that takes the memory
    (8193.0, DEFAULT, 16384, TaskSize(2048, 9216)),
    (16384.0, DEFAULT, 16384, TaskSize(2048, 16384)),
    (16385.0, DEFAULT, 30720, TaskSize(4096, 17408)),
    (30721.0, DEFAULT, 61440, TaskSize(8192, 32768)),
    (61441.0, DEFAULT, 122880, TaskSize(16384, 65536)),
    (122881.0, DEFAULT, 122880, None),
    # a tiny default grows one step at a time
    (513.0, TINY, 1024, TaskSize(256, 1024)),
    (1025.0, TINY, 1024, None),
    (1025.0, TINY, 2048, TaskSize(256, 2048)),
    (2049.0, TINY, 4096, TaskSize(512, 3072)),
    # a maximum equal to the default (the setting's default): the default or nothing
    (2048.0, DEFAULT, 2048, DEFAULT),
    (2049.0, DEFAULT, 2048, None),
    # the default's CPU is kept even where less CPU would take the memory
    (600.0, TaskSize(2048, 4096), 8192, TaskSize(2048, 4096)),
    (4097.0, TaskSize(2048, 4096), 8192, TaskSize(2048, 5120)),
]


@pytest.mark.parametrize(("need_mib", "default", "maximum_mib", "expected"), SIZING_TABLE)
def test_a_run_gets_the_smallest_fargate_size_holding_its_need_within_the_limits(
    need_mib, default, maximum_mib, expected
):
    assert size_for(need_mib, default, maximum_mib) == expected


@pytest.mark.parametrize(("need_mib", "default", "maximum_mib", "expected"), SIZING_TABLE)
def test_every_size_given_is_fargate_s_and_between_the_default_and_the_maximum(
    need_mib, default, maximum_mib, expected
):
    size = size_for(need_mib, default, maximum_mib)
    if size is not None:
        assert size.is_fargate_size
        assert default.memory_mib <= size.memory_mib <= maximum_mib
        assert default.cpu <= size.cpu <= maximum_size(default, maximum_mib).cpu
        assert size.memory_mib >= need_mib


@pytest.mark.parametrize(
    ("default", "maximum_mib", "expected"),
    [
        (DEFAULT, 2048, DEFAULT),
        (DEFAULT, 8192, TaskSize(1024, 8192)),
        (DEFAULT, 9216, TaskSize(2048, 9216)),
        (DEFAULT, 30720, TaskSize(4096, 30720)),
        (DEFAULT, 122880, TaskSize(16384, 122880)),
        (TINY, 1024, TaskSize(256, 1024)),
        (TINY, 3072, TaskSize(512, 3072)),
    ],
)
def test_the_maximum_size_has_the_least_cpu_fargate_allows_for_the_maximum_memory(default, maximum_mib, expected):
    assert maximum_size(default, maximum_mib) == expected


@pytest.mark.parametrize(
    ("default", "maximum_mib", "message"),
    [
        (DEFAULT, 1024, "below the default task's 2048 MiB"),
        (DEFAULT, 31744, "the nearest sizes are 30720 and 32768 MiB"),
        (DEFAULT, 200000, "has 200000 MiB"),
        (TaskSize(256, 4096), 8192, "not a Fargate size"),
    ],
)
def test_a_maximum_fargate_does_not_offer_is_refused_with_the_reason(default, maximum_mib, message):
    with pytest.raises(ValueError, match=message):
        maximum_size(default, maximum_mib)


def test_the_candidate_sizes_are_ordered_by_memory_then_cpu():
    sizes = fargate_sizes(TINY, 4096)
    assert sizes[:3] == [TaskSize(256, 512), TaskSize(256, 1024), TaskSize(512, 1024)]
    assert sizes == sorted(sizes, key=lambda size: (size.memory_mib, size.cpu))
    assert all(size.memory_mib in FARGATE_MEMORY_BY_CPU[size.cpu] for size in sizes)


def test_the_size_travels_as_json_with_paths_the_state_machine_reads():
    assert TaskSize(2048, 9216).to_dict() == {"cpu": 2048, "memoryMiB": 9216}
    assert task_size_path("$.validation", "cpu") == "$.validation.taskSize.cpu"
    assert task_size_path("$.validation", "memory_mib") == "$.validation.taskSize.memoryMiB"


# the first task's size, default size, maximum memory (MiB) → the retry's size (None: no retry)
RETRY_TABLE = [
    # twice the memory, with the least CPU Fargate allows for it
    (TaskSize(256, 1024), TINY, 2048, TaskSize(256, 2048)),
    (TaskSize(256, 2048), TINY, 4096, TaskSize(512, 4096)),
    (DEFAULT, DEFAULT, 8192, TaskSize(1024, 4096)),
    (TaskSize(1024, 3072), DEFAULT, 8192, TaskSize(1024, 6144)),
    (TaskSize(1024, 8192), DEFAULT, 16384, TaskSize(2048, 16384)),
    # capped at the maximum, which is still more than the first task had
    (TaskSize(1024, 6144), DEFAULT, 8192, TaskSize(1024, 8192)),
    (TaskSize(256, 2048), TINY, 3072, TaskSize(512, 3072)),
    # the first task had the maximum already: no retry
    (TaskSize(256, 1024), TINY, 1024, None),
    (TaskSize(1024, 8192), DEFAULT, 8192, None),
    (DEFAULT, DEFAULT, 2048, None),
    (TaskSize(16384, 122880), DEFAULT, 122880, None),
]


@pytest.mark.parametrize(("first", "default", "maximum_mib", "expected"), RETRY_TABLE)
def test_a_run_out_of_memory_is_retried_with_twice_the_memory_up_to_the_maximum(first, default, maximum_mib, expected):
    assert retry_size_for(first, default, maximum_mib) == expected


@pytest.mark.parametrize(("first", "default", "maximum_mib", "expected"), RETRY_TABLE)
def test_every_retry_size_is_fargate_s_within_the_maximum_and_bigger_than_the_first(
    first, default, maximum_mib, expected
):
    retry = retry_size_for(first, default, maximum_mib)
    if retry is not None:
        assert retry.is_fargate_size
        assert first.memory_mib < retry.memory_mib <= maximum_mib
        assert retry.cpu >= first.cpu
