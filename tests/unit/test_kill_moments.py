"""The crash suites' kill moments cover a run evenly (``tests.fuzz.harness.kill_moments``)."""

from __future__ import annotations

import random

from tests.fuzz.harness import kill_moments


def test_one_kill_in_each_slice_of_the_window_in_a_random_order() -> None:
    moments = kill_moments(random.Random(13), 16, 0.8)
    assert len(moments) == 16
    assert sorted(int(m // 0.05) for m in moments) == list(range(16))  # one per 50 ms slice
    assert all(0 <= m <= 0.8 for m in moments)
    assert moments != sorted(moments)  # not always killed later and later


def test_the_same_seed_gives_the_same_moments() -> None:
    assert kill_moments(random.Random(21), 30, 1.5) == kill_moments(random.Random(21), 30, 1.5)
