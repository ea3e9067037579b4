"""Filter designs stored ahead of time, so that a run need not import ``scipy.signal``.

The equiripple designs of `fbcsp.filterbank` need ``scipy.signal``, whose import costs about
0.3 s of CPU, more than the designs themselves; filtering does not need it. The image's build
(``python -m fbcsp.filter_designs PATH``) stores the designs of the used bands at the common EEG
sample rates in the JSON file named by ``FBCSP_FILTER_DESIGNS``; `band_design` reads a run's taps
there. Any other rate or band, no file, an unreadable one, or one written for another band table,
another design rule or another SciPy version: the band is designed as before, with the same result.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from contracts.environment import ContainerVariable

from . import filterbank
from .filterbank import BAND_TABLE, USED_BAND_IDS, BandDesign, below_nyquist, design_band

DESIGNS_VARIABLE = ContainerVariable.FILTER_DESIGNS
#: Rates stored by default: the usual EEG amplifier rates, the app's 125 Hz (the original export's `sr`)
#: and EEGMMIDB's 160 Hz among them.
COMMON_SAMPLE_RATES = (100.0, 125.0, 128.0, 160.0, 200.0, 250.0, 256.0, 500.0, 512.0, 1000.0, 1024.0)

_log = logging.getLogger(__name__)


def design_rule() -> dict[str, Any]:
    """What a stored design depends on besides its band and rate; a file made under another rule is not used."""
    return {
        "scipy": scipy.__version__,
        "band_table": {str(band_id): list(edges) for band_id, edges in BAND_TABLE.items()},
        "passband_ripple_db": filterbank.PASSBAND_RIPPLE_DB,
        "stopband_attenuation_db": filterbank.STOPBAND_ATTENUATION_DB,
        "max_taps": filterbank.MAX_TAPS,
        "response_grid_points": filterbank.RESPONSE_GRID_POINTS,
        "spec_tolerance": filterbank.SPEC_TOLERANCE,
    }


def rate_key(sfreq: float) -> str:
    """The stored rate's key: the exact float, so 160 Hz and 160.0001 Hz never share taps."""
    return repr(float(sfreq))


def compute_designs(
    sample_rates: tuple[float, ...] = COMMON_SAMPLE_RATES, band_ids: tuple[int, ...] = USED_BAND_IDS
) -> dict[str, Any]:
    """The file's content: the rule and, per rate, each of `band_ids` whose edges lie below Nyquist."""
    designs: dict[str, dict[str, dict[str, list[float]]]] = {}
    for sfreq in sample_rates:
        bands = (design_band(band_id, sfreq) for band_id in band_ids if below_nyquist(band_id, sfreq))
        designs[rate_key(sfreq)] = {
            str(band.band_id): {"highpass": band.highpass.tolist(), "lowpass": band.lowpass.tolist()} for band in bands
        }
    return {"rule": design_rule(), "designs": designs}


@functools.cache
def stored_designs(path: str) -> dict[str, Any]:
    """The designs in `path` made under today's `design_rule`, else none (and a warning saying why)."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _log.warning("filter designs in %s not used: %s", path, exc)
        return {}
    if not isinstance(content, dict) or content.get("rule") != design_rule():
        _log.warning("filter designs in %s not used: made under another band table, rule or SciPy version", path)
        return {}
    designs = content.get("designs")
    return designs if isinstance(designs, dict) else {}


def band_design(band_id: int, sfreq: float) -> BandDesign:
    """`design_band`'s result, read from the stored designs when they hold it."""
    path = os.environ.get(DESIGNS_VARIABLE)
    stored = stored_designs(path).get(rate_key(sfreq), {}).get(str(band_id)) if path else None
    if stored is None:
        return design_band(band_id, sfreq)
    return BandDesign(
        band_id=band_id,
        edges_hz=BAND_TABLE[band_id],
        highpass=np.array(stored["highpass"], dtype=float),
        lowpass=np.array(stored["lowpass"], dtype=float),
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m fbcsp.filter_designs PATH``: store the used bands' designs at `COMMON_SAMPLE_RATES` in PATH."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m fbcsp.filter_designs PATH", file=sys.stderr)
        return 2
    path = Path(arguments[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(compute_designs(COMMON_SAMPLE_RATES)), encoding="utf-8")
    print(f"fbcsp: wrote the filter designs of {len(COMMON_SAMPLE_RATES)} sample rates to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
