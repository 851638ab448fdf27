"""The section cache: keys cover every setting, writes are atomic, damage reads as a miss."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from voxcli.backends.base import ConvertRequest, Upload
from voxcli.backends.voice_settings import VoiceSettings
from voxcli.convert.cache import CachedSection, SectionCache, section_key

UPLOAD = Upload(b"fLaC" + bytes(range(256)) * 40, "section.flac", "audio/flac", 12.5)
REQUEST = ConvertRequest("21m00Tcm4TlvDq8ikWAM", seed=7, voice_settings=VoiceSettings(0.5))


def key(upload: Upload = UPLOAD, request: ConvertRequest = REQUEST, **kw: str) -> str:
    options = {"output_format": "pcm_44100", "backend": "elevenlabs", "identity": "http://a"}
    options.update(kw)
    return section_key(upload, request, **options)


def test_default_root_is_under_the_cache_dir(tmp_path: Path) -> None:
    # conftest points VOXCLI_CACHE_DIR at tmp_path / "cache".
    assert SectionCache().path() == tmp_path / "cache" / "sections"
    assert not (tmp_path / "cache").exists()  # nothing is created by looking


def test_round_trip_and_miss(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path / "c")
    assert cache.get(key()) is None
    entry = CachedSection(b"\x00\x01" * 1000, "pcm_44100", "req-1", 208)
    cache.put(key(), entry)
    assert cache.get(key()) == entry
    assert cache.get(key(output_format="pcm_24000")) is None


@pytest.mark.parametrize(
    "change",
    [
        {"upload": replace(UPLOAD, data=UPLOAD.data + b"\0")},
        {"upload": replace(UPLOAD, file_format="pcm_s16le_16")},
        {"request": replace(REQUEST, voice_id="pNInz6obpgDQGcFmaJgB")},
        {"request": replace(REQUEST, model_id="eleven_english_sts_v2")},
        {"request": replace(REQUEST, seed=8)},
        {"request": replace(REQUEST, seed=None)},
        {"request": replace(REQUEST, voice_settings=VoiceSettings(0.6))},
        {"request": replace(REQUEST, remove_background_noise=True)},
        {"request": replace(REQUEST, latency=2)},
        {"output_format": "pcm_24000"},
        {"backend": "local"},
        {"identity": "http://b"},
    ],
)
def test_every_setting_that_changes_the_result_changes_the_key(change: dict) -> None:
    assert key(**change) != key()


def test_settings_that_do_not_change_the_audio_share_the_key() -> None:
    # The requested output format is keyed separately from the user's final format, and
    # enable_logging only changes retention upstream.
    assert key(request=replace(REQUEST, output_format="mp3_44100_192")) == key()
    assert key(request=replace(REQUEST, enable_logging=False)) == key()
    assert key(upload=replace(UPLOAD, filename="other.flac", duration_seconds=1.0)) == key()


def test_damaged_entries_read_as_missing(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path)
    cache.put(key(), CachedSection(b"abc" * 100, "pcm_16000"))
    (entry,) = tmp_path.rglob("*.section")
    data = entry.read_bytes()
    for damaged in (data[:-1], b"garbage" + data, data.replace(b'"bytes"', b'"bites"'), b""):
        entry.write_bytes(damaged)
        assert cache.get(key()) is None


def test_concurrent_writers_never_mix_entries(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path)
    bodies = [bytes([n]) * 200_000 for n in range(8)]
    seen: list[CachedSection | None] = []
    barrier = threading.Barrier(len(bodies) + 1)

    def write(body: bytes) -> None:
        barrier.wait()
        for _ in range(5):
            cache.put(key(), CachedSection(body, "pcm_44100", body[:1].hex()))

    def read() -> None:
        barrier.wait()
        for _ in range(200):
            seen.append(cache.get(key()))

    threads = [threading.Thread(target=write, args=(b,)) for b in bodies]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = cache.get(key())
    assert final is not None and final.audio in bodies
    for entry in filter(None, seen):  # every read is one writer's whole entry
        assert entry.audio in bodies and entry.request_id == entry.audio[:1].hex()
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key()}.section"]


def test_clear_removes_everything_and_reports_it(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path / "sections")
    assert cache.clear() == (0, 0)
    cache.put(key(), CachedSection(b"x" * 1000, "pcm_44100"))
    cache.put(key(backend="local"), CachedSection(b"y", "pcm_44100"))
    stray = cache.path() / "ab" / ".leftover.tmp"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"z" * 10)
    expected_bytes = sum(p.stat().st_size for p in cache.path().rglob("*") if p.is_file())
    assert cache.clear() == (3, expected_bytes)
    assert cache.get(key()) is None
    assert not any(p.is_file() for p in cache.path().rglob("*"))


def test_entries_are_private(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path / "sections")
    cache.put(key(), CachedSection(b"x", "pcm_44100"))
    (entry,) = cache.path().rglob("*.section")
    assert entry.stat().st_mode & 0o077 == 0
    assert os.stat(entry.parent).st_mode & 0o077 == 0
    assert os.stat(cache.path()).st_mode & 0o077 == 0


def test_an_open_entry_streams_its_audio_and_survives_replacement(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path)
    assert cache.open_entry(key()) is None
    cache.put(key(), CachedSection(b"old!" * 1000, "pcm_24000", "r1", 5))
    entry = cache.open_entry(key())
    assert entry is not None
    assert (entry.output_format, entry.request_id, entry.character_cost, entry.size) == (
        "pcm_24000", "r1", 5, 4000,
    )  # fmt: skip
    cache.put(key(), CachedSection(b"new", "pcm_24000"))  # a concurrent writer replaces it
    with entry.file:
        assert entry.file.read(4) == b"old!"
        assert len(entry.file.read()) == 3996
    assert cache.get(key()) == CachedSection(b"new", "pcm_24000")


def test_prune_removes_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = SectionCache(tmp_path)
    keys = [f"{n:02d}" + "a" * 62 for n in range(4)]
    for age, k in enumerate(keys):
        cache.put(k, CachedSection(b"x" * 1000, "pcm_16000"))
        path = next(tmp_path.glob(f"*/{k}.section"))
        os.utime(path, (1_000_000 + age, 1_000_000 + age))  # keys[0] oldest
    assert cache.get(keys[0]) is not None  # reading makes it the most recent
    size = next(tmp_path.glob(f"*/{keys[0]}.section")).stat().st_size
    files, removed = cache.prune(2 * size)
    assert (files, removed) == (2, 2 * size)
    assert [k for k in keys if cache.get(k) is not None] == [keys[0], keys[3]]
    assert cache.prune(10**9) == (0, 0)
    assert cache.prune(0)[0] == 2 and cache.get(keys[0]) is None
