"""The engine converts with one BLAS thread and gives the process its threads back after."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from voxcli.engine import ConversionOptions, VoiceProfile, conversion, convert
from voxcli.engine.threads import one_blas_thread


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_conversion_runs_blas_on_one_thread_and_restores_the_pool(
    male_speech: tuple[np.ndarray, int], sally: VoiceProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples, rate = male_speech
    seen: list[list[int]] = []
    original = conversion.cepstral_change

    def spy(*args: object, **kwargs: object) -> np.ndarray:
        seen.append(_blas_threads())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(conversion, "cepstral_change", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        convert(samples, rate, sally, ConversionOptions(quality="fast"))
        assert _blas_threads() == before
    assert seen and seen[0] and set(seen[0]) == {1}


def test_overlapping_holds_restore_only_when_the_last_one_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two conversions at once (threads of `serve`): the second to leave restores the pool."""
    import threadpoolctl

    events: list[str] = []

    class Limiter:
        def __init__(self, limits: int, user_api: str) -> None:
            events.append(f"limit {user_api} {limits}")

        def restore_original_limits(self) -> None:
            events.append("restore")

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", Limiter)
    first_in, second_out = threading.Event(), threading.Event()

    def other() -> None:
        with one_blas_thread():
            first_in.set()
            second_out.wait(5)
            events.append("other leaves")

    thread = threading.Thread(target=other)
    thread.start()
    assert first_in.wait(5)
    with one_blas_thread():
        events.append("main inside")
    events.append("main left")
    second_out.set()
    thread.join(5)
    assert events == ["limit blas 1", "main inside", "main left", "other leaves", "restore"]
