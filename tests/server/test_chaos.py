"""`ApiServer.chaos`: a reproducible share of conversion requests fails in one of four ways.

Raw httpx (no retries), one request at a time, so the n-th request meets the n-th draw.
"""

from __future__ import annotations

from collections import Counter

import httpx

from tests.support.server import VOICE_ID, flac_bytes, tone
from tests.support.transform_backend import TransformBackend
from voxcli.server import ApiServer

CONVERT = f"/v1/voice-changer/{VOICE_ID}"
FILES = {"audio": ("a.flac", flac_bytes(tone(0.5)), "audio/flac")}


def outcome(client: httpx.Client, path: str = CONVERT) -> str:
    """The status answered, or ``drop`` when the connection closed before the whole body."""
    try:
        with client.stream("POST", path, files=FILES, params={"output_format": "pcm_16000"}) as r:
            r.read()
            return str(r.status_code)
    except httpx.RemoteProtocolError:
        return "drop"


def run(rate: float, seed: int, count: int = 40) -> tuple[list[str], ApiServer]:
    with ApiServer(TransformBackend()) as server, httpx.Client(base_url=server.url) as client:
        server.chaos(rate, seed=seed)
        outcomes = [outcome(client) for _ in range(count)]
    return outcomes, server


def test_the_same_seed_fails_the_same_requests_the_same_way() -> None:
    first, server = run(0.5, seed=7)
    again, _ = run(0.5, seed=7)
    other, _ = run(0.5, seed=8)
    assert first == again
    assert first != other
    counts = Counter(first)
    assert set(counts) == {"200", "500", "429", "503", "drop"}
    assert 0.3 <= 1 - counts["200"] / len(first) <= 0.7
    assert server.chaos_mode is not None
    assert server.chaos_mode.counts["ok"] == counts["200"]


def test_a_dropped_whole_answer_is_logged_as_not_sent_whole() -> None:
    outcomes, server = run(1.0, seed=7, count=24)
    posts = [r for r in server.requests if r.method == "POST"]
    for seen, record in zip(outcomes, posts, strict=True):
        if seen == "drop":
            # The conversion was done and its status sent, but not all of its body.
            assert record.status == 200 and record.ended is not None
            assert not record.whole_answer_sent
        else:
            assert seen in ("500", "429", "503") and record.status == int(seen)
            assert record.whole_answer_sent
    assert "drop" in outcomes


def test_a_dropped_stream_ends_without_its_last_chunk() -> None:
    with ApiServer(TransformBackend()) as server, httpx.Client(base_url=server.url) as client:
        server.chaos(1.0, seed=3)
        seen = [outcome(client, CONVERT + "/stream") for _ in range(12)]
        server.chaos(0)
        assert outcome(client, CONVERT + "/stream") == "200"
    drops = [r for r, s in zip(server.requests, seen, strict=False) if s == "drop"]
    assert drops and all(r.status == 200 and not r.whole_answer_sent for r in drops)
    assert server.requests[-1].whole_answer_sent


def test_chaos_leaves_other_endpoints_alone() -> None:
    with ApiServer(TransformBackend()) as server:
        server.chaos(1.0, seed=1)
        for _ in range(5):
            assert httpx.get(server.url + "/v2/voices").status_code == 200
