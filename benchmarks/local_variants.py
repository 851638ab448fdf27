"""Experimental variants of the local engine's analysis rates, for measurement only.

None of these ships (``d4cfull`` is what the engine did before): they exist so that
`local_speed.py --variant` and `local_quality.py --methods` can put each option's speed and
quality next to the engine's own, in one run, and the choice between them can be made on
numbers (see the CHANGELOG and issue 12). `apply(name)` patches the engine in the calling
process; ``main`` leaves it as it is, and ``X+Y`` applies both X and Y.

- ``a22`` / ``a24``: convert at 22.05 / 24 kHz and resample the result once to the input's rate.
  Nothing above 11 / 12 kHz survives.
- ``d4cfull``: D4C reads the signal at the input's rate, as before issue 12 (the engine now
  reads it at 24 kHz at most, `world.APERIODICITY_RATE`: the 3, 6 and 9 kHz bands are measured
  there and the 12 and 15 kHz bands, measured only above 30 kHz, repeat the 9 kHz one; it
  costs 2.5x less, with FFTs of 2048 instead of 4096 points and 3 bands instead of 5). This
  variant was called ``b24`` the other way round, before the engine took it.
- ``c24``: ``a24``, plus the input's own band above 12 kHz (the input minus its 24 kHz
  round trip), scaled per 10 ms frame by how the conversion changed the 8-11.5 kHz band.
- ``dio2`` / ``dio4`` (``fast`` quality, any rate): DIO finds its F0 candidates on the
  tracking signal decimated 2 / 4 times (its ``speed``; StoneMask still refines at up to 16
  kHz), as the speaker-range pass already does. These change output at 16 kHz too.

`wideband_report` prints what each variant does to 44.1 kHz output, on real speech recorded at
48 kHz (alsa-utils' channel announcements, /usr/share/sounds/alsa: the benchmark's own voices are
16 and 22.05 kHz and carry nothing above 8-11 kHz): the energy left above 11 and 13 kHz, and the
distance from the engine's own output in third-octave bands, beside the distance an equally good
output has (the same input delayed by one sample).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

VARIANTS = ("main", "a22", "a24", "c24", "d4cfull", "dio2", "dio4")
#: The variants that change conversions at 16 kHz (the others act above 24 kHz only).
AT_ALL_RATES = ("dio2", "dio4")
#: Real speech at 48 kHz for `wideband_report` (alsa-utils).
WIDEBAND_SPEECH = Path("/usr/share/sounds/alsa")

Array = NDArray[np.float64]


def _resample(x: NDArray[np.floating], rate: int, to_rate: int) -> Array:
    import soxr

    return np.asarray(soxr.resample(np.asarray(x, dtype=np.float64), rate, to_rate, "HQ"))


def _fit(y: Array, length: int) -> Array:
    return y[:length] if len(y) >= length else np.concatenate([y, np.zeros(length - len(y))])


def at_rate(
    convert: Callable[..., Any], rate: int, *, keep_top: bool = False
) -> Callable[..., Any]:
    """`convert` run at `rate` when the input's rate is higher, resampled back once; with
    `keep_top`, the input's band above ``rate / 2`` is added back (``c24``)."""
    from voxcli.engine import level

    def converted(
        samples: Any, sample_rate: int, profile: Any, options: Any = None, **kwargs: Any
    ) -> Any:
        if sample_rate <= rate:
            return convert(samples, sample_rate, profile, options, **kwargs)
        x = np.nan_to_num(np.asarray(samples, dtype=np.float64))
        low = _resample(x, sample_rate, rate)
        y = convert(low, rate, profile, options, **kwargs)
        y = _fit(_resample(y, rate, sample_rate), len(x))
        if keep_top:
            top = x - _fit(_resample(low, rate, sample_rate), len(x))
            y += top * _band_gain(x, y, sample_rate, (8000.0, 0.96 * rate / 2))
        return level.limit(y, sample_rate).astype(np.float32)

    return converted


def _band_gain(x: Array, y: Array, rate: int, band: tuple[float, float]) -> Array:
    """Per-sample gain: sqrt(energy of `y` / energy of `x`) in `band`, per 10 ms frame
    (20 ms windows), limited to +-20 dB and interpolated between frame centres."""
    hop, size = rate // 100, 2 * (rate // 100)
    window = np.hanning(size)
    pad = np.pad(np.stack([x, y]), ((0, 0), (size // 2, size)))
    count = len(x) // hop + 1
    idx = np.arange(count)[:, None] * hop + np.arange(size)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    sel = (freqs >= band[0]) & (freqs < band[1])
    power = [(np.abs(np.fft.rfft(s[idx] * window, axis=1)[:, sel]) ** 2).sum(axis=1) for s in pad]
    gain = np.sqrt((power[1] + 1e-12) / (power[0] + 1e-12))
    gain = np.clip(gain, 0.1, 10.0)
    return np.interp(np.arange(len(x)), np.arange(count) * hop, gain)


def _dio_speed(dio: Callable[..., Any], speed: int) -> Callable[..., Any]:
    """pyworld's `dio` with `speed` unless the caller gives one (the speaker-range pass does)."""

    def decimated(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("speed", speed)
        return dio(*args, **kwargs)

    return decimated


def changes_16k(name: str) -> bool:
    """Whether variant `name` (``X`` or ``X+Y``) changes conversions at 16 kHz."""
    return any(part in AT_ALL_RATES for part in name.split("+"))


@contextmanager
def patched(name: str) -> Iterator[None]:
    """Run the body with the engine patched to variant `name` (`VARIANTS`, or ``X+Y``)."""
    from voxcli.engine import conversion
    from voxcli.engine.libworld import pyworld

    parts = name.split("+")
    if unknown := [p for p in parts if p not in VARIANTS]:
        raise SystemExit(f"unknown variant {unknown[0]!r}: use one of {', '.join(VARIANTS)}")
    from voxcli.engine import world as engine_world

    world = pyworld()
    saved = conversion.convert, engine_world.APERIODICITY_RATE, world.dio
    for part in parts:
        if part in ("a22", "a24", "c24"):
            rate = 22050 if part == "a22" else 24000
            conversion.convert = at_rate(saved[0], rate, keep_top=part == "c24")  # type: ignore[assignment]
        elif part == "d4cfull":  # read at call time by `world.aperiodicity_params`
            engine_world.APERIODICITY_RATE = 10**6
        elif part in ("dio2", "dio4"):
            world.dio = _dio_speed(saved[2], int(part[-1]))
    try:
        yield
    finally:
        conversion.convert, engine_world.APERIODICITY_RATE, world.dio = saved  # type: ignore[assignment]


def apply(name: str) -> None:
    """Patch the engine for the rest of this process (a `voxcli` run started by
    `local_speed.py --variant`)."""
    # NOTE: the context manager is kept: once garbage-collected, its generator is closed and
    # its `finally` puts the engine back, which silently measured `main` under a variant's name.
    _APPLIED.append(patched(name))
    _APPLIED[-1].__enter__()


_APPLIED: list[AbstractContextManager[None]] = []


def wideband_example(rate: int = 44100) -> NDArray[np.float32] | None:
    """The channel announcements (all but the noise), 0.3 s apart, at `rate`; None without
    alsa-utils."""
    import soundfile as sf

    parts = []
    for path in sorted(WIDEBAND_SPEECH.glob("*.wav")):
        if path.stem != "Noise":
            x, native = sf.read(str(path), dtype="float64")
            parts += [_resample(x, native, rate), np.zeros(int(0.3 * rate))]
    return np.concatenate(parts).astype(np.float32) if parts else None


def _third_octaves(x: NDArray[np.floating], rate: int) -> tuple[Array, Array]:
    """Band levels (dB) per 20 ms frame in third-octave bands from 100 Hz, and band centres."""
    hop = rate // 50
    frames = (len(x) - 2 * hop) // hop
    idx = np.arange(frames)[:, None] * hop + np.arange(2 * hop)
    power = np.abs(np.fft.rfft(np.asarray(x, dtype=np.float64)[idx] * np.hanning(2 * hop))) ** 2
    freqs = np.fft.rfftfreq(2 * hop, 1.0 / rate)
    edges = 1000.0 * 2.0 ** (np.arange(-10, 14) / 3.0)
    edges = edges[edges < rate / 2]
    bands = [power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
             for lo, hi in zip(edges, edges[1:], strict=False)]  # fmt: skip
    return 10.0 * np.log10(np.stack(bands, axis=1) + 1e-12), np.sqrt(edges[:-1] * edges[1:])


def _share_above(x: NDArray[np.floating], rate: int, hz: float) -> float:
    """Energy above `hz` as a share of the whole, in dB."""
    power = np.abs(np.fft.rfft(np.asarray(x, dtype=np.float64))) ** 2
    return float(10.0 * np.log10(power[np.fft.rfftfreq(len(x), 1.0 / rate) >= hz].sum()
                                 / power.sum()))  # fmt: skip


def wideband_report(profile: Any, rate: int = 44100) -> None:
    """Print, per quality and variant, what the variant does to `rate` output (module doc)."""
    import time

    from voxcli.engine import ConversionOptions, conversion

    x = wideband_example(rate)
    if x is None:
        print(f"\n(no wideband speech: {WIDEBAND_SPEECH} is missing; apt-get install alsa-utils)")
        return
    source, centres = _third_octaves(x, rate)
    speech = source.max(axis=1) > source.max() - 50.0
    low, high = centres < 11000, centres >= 11000
    above = {hz: _share_above(x, rate, hz) for hz in (11000, 13000)}
    print(f"\n## What each variant does to {rate} Hz output: {len(x) / rate:.1f} s of real "
          f"speech (48 kHz recordings; energy above 11 / 13 kHz: {above[11000]:.1f} / "
          f"{above[13000]:.1f} dB of the whole)\n")  # fmt: skip
    print(f"{'':16s} {'CPU s':>6s} {'>=11k vs input':>14s} {'>=13k vs input':>14s} "
          f"{'|dB| to main <11k':>17s} {'>=11k':>6s} {'same twice+length':>18s}")  # fmt: skip
    delayed = np.concatenate([[0.0], x[:-1]]).astype(np.float32)
    for quality in ("default", "fast"):
        opts = ConversionOptions(quality=quality)  # type: ignore[arg-type]
        # An equally good output for scale: the engine's on the input delayed by one sample.
        floor = np.append(conversion.convert(delayed, rate, profile, opts)[1:], np.float32(0))
        main = _third_octaves(conversion.convert(x, rate, profile, opts), rate)[0]
        for name in VARIANTS:
            with patched(name):
                start = time.process_time()
                y = conversion.convert(x, rate, profile, opts)
                seconds = time.process_time() - start
                same = np.array_equal(y, conversion.convert(x, rate, profile, opts))
            compared = _third_octaves(floor if name == "main" else y, rate)[0]
            distance = np.abs(compared - main)[speech]
            label = f"{quality} {name}" + (" (floor)" if name == "main" else "")
            kept = {hz: _share_above(y, rate, hz) - share for hz, share in above.items()}
            print(f"{label:16s} {seconds:6.2f} {kept[11000]:+14.1f} {kept[13000]:+14.1f} "
                  f"{distance[:, low].mean():17.2f} {distance[:, high].mean():6.2f} "
                  f"{str(same and len(y) == len(x)):>18s}")  # fmt: skip
