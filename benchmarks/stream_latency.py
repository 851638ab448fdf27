"""Time to first sound with `convert --stream --play`: server's first audio byte -> the device.

For PCM and MP3 answers, prints the median (and spread) of the time from the moment the
server hands its first audio chunk to the socket to the moment voxcli hands its first block
of audio to the output device (goal: median <= 50 ms), next to the server's own time to first
byte (request body received -> first audio chunk sent).

The server is voxcli's ElevenLabs-compatible `ApiServer` on 127.0.0.1, over a backend that
streams the (polarity-inverted) input back in 4 KB chunks paced like real-time audio, as the
service's streaming endpoint does. Playback goes to a real PulseAudio null sink started here
(`pulseaudio`, `libportaudio2`). Both clocks are `time.monotonic()` in this one process, so
voxcli runs in-process through its real CLI entry point (`voxcli.cli.app`).

    python benchmarks/stream_latency.py [--runs 11]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import pulse  # noqa: E402
from tests.support.audio import speechlike, write_wav  # noqa: E402
from tests.support.server import TEST_KEY  # noqa: E402
from tests.support.transform_backend import TransformBackend  # noqa: E402
from voxcli.audio.formats import parse_format  # noqa: E402
from voxcli.backends.base import AudioStream, ConvertRequest, Upload  # noqa: E402
from voxcli.server import ApiServer  # noqa: E402

CHUNK = 4096


class PacedBackend(TransformBackend):
    """Streams its answer in `CHUNK`-byte pieces, each sent when its audio would have played."""

    def __init__(self) -> None:
        super().__init__("invert")
        self.first_chunk_at: list[float] = []
        self._lock = threading.Lock()

    @contextmanager
    def convert_stream(self, upload: Upload, request: ConvertRequest) -> Iterator[AudioStream]:
        result = self.convert(upload, request)
        fmt = parse_format(request.output_format)
        bytes_per_second = fmt.sample_rate * 2 if fmt.codec == "pcm" else fmt.bitrate_kbps * 125

        def paced() -> Iterator[bytes]:
            start = time.monotonic()
            for offset in range(0, len(result.audio), CHUNK):
                due = start + offset / bytes_per_second
                time.sleep(max(0.0, due - time.monotonic()))
                if offset == 0:
                    with self._lock:
                        self.first_chunk_at.append(time.monotonic())
                yield result.audio[offset : offset + CHUNK]

        yield AudioStream(paced(), output_format=request.output_format, request_id="bench")


@contextmanager
def first_blocks() -> Iterator[list[float]]:
    """Collect `Player.first_block_at` of every player voxcli closes."""
    from voxcli.audio import playback

    seen: list[float] = []
    original = playback.Player.__exit__

    def record(self: playback.Player, *exc: object) -> None:
        if self.first_block_at is not None:
            seen.append(self.first_block_at)
        original(self, *exc)  # type: ignore[arg-type]

    playback.Player.__exit__ = record  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        playback.Player.__exit__ = original  # type: ignore[method-assign]


def run(api: ApiServer, backend: PacedBackend, source: Path, fmt: str, runs: int) -> None:
    from voxcli.cli import app

    to_device, ttfb = [], []
    with first_blocks() as played:
        for _ in range(runs):
            api.requests.clear()
            out = source.with_name(f"out.{'mp3' if fmt.startswith('mp3') else 'pcm'}")
            out.unlink(missing_ok=True)
            # --no-cache: every run must really stream (a rerun would be answered from the cache)
            argv = ["convert", str(source), "-v", "Rachel", "--stream", "--play", "-f", fmt,
                    "--no-cache"]  # fmt: skip
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # the output's path
                    app(argv + ["-o", str(out), "-q"], standalone_mode=False)
            except SystemExit as exc:
                assert not exc.code, exc
            streamed = [r for r in api.requests if "/stream" in r.path]
            assert len(streamed) == 1, [(r.path, r.status) for r in api.requests]
            request = streamed[0]
            first_byte = backend.first_chunk_at[-1]
            ttfb.append(first_byte - request.started)
            to_device.append(played[-1] - first_byte)
    ms = [1000 * t for t in to_device]
    print(
        f"{fmt:>15}  first byte -> device: median {statistics.median(ms):6.1f} ms "
        f"(min {min(ms):.1f}, max {max(ms):.1f})   server's time to first byte: median "
        f"{1000 * statistics.median(ttfb):6.1f} ms   [{runs} runs]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with pulse.pulse_server(folder / "pulse") as sound:
            os.environ.update(
                {k: v for k, v in sound.env.items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
            )
            os.environ["VOXCLI_CONFIG_DIR"] = str(folder / "config")
            os.environ["VOXCLI_CACHE_DIR"] = str(folder / "cache")
            source = write_wav(folder / "speech.wav", speechlike(2.0, 16000))
            backend = PacedBackend()
            with ApiServer(backend, api_key=TEST_KEY) as api:
                os.environ["ELEVENLABS_API_KEY"] = TEST_KEY
                os.environ["VOXCLI_BASE_URL"] = api.url
                print(f"load: {os.getloadavg()[0]:.2f}; 2 s of speech per run, 4 KB chunks")
                for fmt in ("pcm_24000", "mp3_44100_128"):
                    run(api, backend, source, fmt, args.runs)


if __name__ == "__main__":
    main()
