"""`Results` that keep what srtod-yolo attaches to them through indexing, device moves and the tracker.

Ultralytics builds a fresh `Results` whenever one is indexed, moved or converted (`result[idx]`, `.cpu()`,
`.numpy()`, `.to()`: all go through `Results.new()`), and `yolo track` indexes every result to the boxes it kept
(`ultralytics/trackers/track.py`, `on_predict_postprocess_end`). A plain attribute such as the SR-TOD
difference map is lost on the way, so tracked videos lost their difference pane and the video writer dropped the
frames that no longer matched the first frame's size.

`SRTODResults` names the per-frame attributes srtod-yolo adds in `FRAME_EXTRAS` and hands them to every result
derived from it. They describe the whole frame, not single boxes, so a derived result shares them unchanged.
"""

from __future__ import annotations

from ultralytics.engine.results import Results

__all__ = ("FRAME_EXTRAS", "SRTODResults")

# Per-frame attributes srtod-yolo attaches to a result; a new one must be added here to survive re-indexing.
FRAME_EXTRAS = (
    "difference",  # (H, W) float32 numpy array at the original frame's size: the SR-TOD difference map (or the
    # mask of a model exported with srtod_output=mask); with slice=True, stitched from the slices' maps
)


class SRTODResults(Results):
    """A detection `Results` whose `FRAME_EXTRAS` (the SR-TOD difference map) survive indexing and the tracker.

    Behaves exactly as `Results` otherwise; `isinstance(r, Results)` holds.

    Example:
        >>> import numpy as np, torch
        >>> r = SRTODResults(np.zeros((4, 6, 3), np.uint8), "f.jpg", {0: "drone"}, boxes=torch.zeros(2, 6))
        >>> r.difference = np.ones((4, 6), np.float32)
        >>> r[:1].difference.shape, r[:0].cpu().difference.shape
        ((4, 6), (4, 6))
    """

    @classmethod
    def adopt(cls, result: Results) -> SRTODResults:
        """The same result (same attributes, no copies) as an `SRTODResults`; one already is one is returned as is."""
        if isinstance(result, cls):
            return result
        adopted = cls.__new__(cls)
        adopted.__dict__.update(result.__dict__)
        return adopted

    def new(self) -> SRTODResults:
        """A result for the same frame without boxes (what indexing and device moves fill), with the frame extras."""
        result = type(self).adopt(super().new())
        for key in FRAME_EXTRAS:
            if key in self.__dict__:
                setattr(result, key, self.__dict__[key])
        return result
