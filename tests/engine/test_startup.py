"""Start-up: the engine imports numpy and pyworld's compiled module, nothing heavier."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import median_filter, minimum_filter1d, uniform_filter1d

from voxcli.engine.filters import median, percentile, running_mean, running_median, running_min


def test_engine_import_loads_neither_scipy_nor_pkg_resources() -> None:
    code = (
        "import sys\n"
        "import voxcli.engine.conversion, voxcli.engine.profile\n"
        "from voxcli.engine.libworld import pyworld\n"
        "lib = pyworld()\n"
        "assert callable(lib.harvest) and callable(lib.synthesize)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'pkg_resources'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_pyworld_imported_later_reuses_the_loaded_module() -> None:
    code = (
        "from voxcli.engine.libworld import pyworld\n"
        "lib = pyworld()\n"
        "import pyworld\n"
        "print(pyworld.harvest is lib.harvest)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("length", [1, 2, 5, 21, 22, 500, 1001])
@pytest.mark.parametrize("size", [1, 3, 21, 221])
def test_filters_give_scipy_ndimage_values(length: int, size: int) -> None:
    values = np.random.default_rng(length * 1000 + size).normal(size=length)
    np.testing.assert_array_equal(
        running_median(values, size), median_filter(values, size=size, mode="nearest")
    )
    np.testing.assert_array_equal(
        running_min(values, size), minimum_filter1d(values, size, mode="nearest")
    )
    np.testing.assert_allclose(
        running_mean(values, size), uniform_filter1d(values, size, mode="nearest"), atol=1e-12
    )
    flags = (values > 0).astype(np.uint8)
    median = running_median(flags, size)
    assert median.dtype == np.uint8
    np.testing.assert_array_equal(median, median_filter(flags, size=size, mode="nearest"))


def test_a_conversion_loads_neither_numpy_ma_nor_scipy() -> None:
    """numpy.percentile/median import numpy.ma on first use (40-80 ms of start-up)."""
    code = (
        "import sys\n"
        "import soundfile as sf\n"
        "from voxcli.engine import VoiceProfile, convert\n"
        "from tests.engine.conftest import BUILTIN\n"
        "x, rate = sf.read('examples/speech.wav', dtype='float32')\n"
        "profile = VoiceProfile.from_bytes((BUILTIN / 'sally.npz').read_bytes())\n"
        "assert len(convert(x[: rate], rate, profile)) == rate\n"
        "print(sorted({'numpy.ma', 'scipy', 'pkg_resources'} & set(sys.modules)))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=root)  # fmt: skip
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("length", [1, 2, 3, 10, 11, 400])
def test_percentile_and_median_give_numpys_values(length: int) -> None:
    rng = np.random.default_rng(length)
    for values in (rng.normal(size=length) * 300.0, np.round(rng.normal(size=length) * 3.0)):
        for q in (0.0, 5.0, 30.0, 50.0, 95.0, 100.0, 37.3):
            assert percentile(values, q) == np.percentile(values, q)
        assert median(values) == np.median(values)
