"""What every report figure shares: the non-interactive Agg canvas, margins in inches, PNG bytes.

Figures are laid out with fixed margins in inches instead of matplotlib's constrained layout,
which measures every text of a figure before drawing it and cost about as much as the drawing.

The package imports matplotlib's figures only from here, after the backend is chosen and the
image's stored font list is in matplotlib's cache (`fbcsp.font_list`).
"""

from __future__ import annotations

import io
import os

import matplotlib

from .font_list import FONT_LIST_VARIABLE, seed_font_cache

matplotlib.use("Agg")
seed_font_cache(os.environ.get(FONT_LIST_VARIABLE), matplotlib.get_cachedir())

from matplotlib.figure import Figure  # noqa: E402 - loads the fonts: after the backend and the font list

DPI = 100
#: zlib level of the PNGs: level 1 writes the report's three figures in about 30 ms instead of
#: 60 ms (matplotlib's default, 6) for about 10 % more bytes (0.31 MB instead of 0.29 MB on the sample).
PNG_COMPRESS_LEVEL = 1


def margins(size_in: tuple[float, float], left: float, right: float, bottom: float, top: float) -> dict[str, float]:
    """Subplot parameters (figure fractions) of a figure of `size_in` with margins given in inches."""
    width, height = size_in
    return {"left": left / width, "right": 1 - right / width, "bottom": bottom / height, "top": 1 - top / height}


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG, without the software stamp (the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL}
    )
    return buffer.getvalue()
