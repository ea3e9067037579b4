"""What every report figure shares: the non-interactive Agg canvas, margins in inches, PNG bytes.

Figures are laid out with fixed margins in inches instead of matplotlib's constrained layout,
which measures every text of a figure before drawing it and cost about as much as the drawing.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after selecting the non-interactive backend

DPI = 100


def margins(size_in: tuple[float, float], left: float, right: float, bottom: float, top: float) -> dict[str, float]:
    """Subplot parameters (figure fractions) of a figure of `size_in` with margins given in inches."""
    width, height = size_in
    return {"left": left / width, "right": 1 - right / width, "bottom": bottom / height, "top": 1 - top / height}


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG, without the software stamp (the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
