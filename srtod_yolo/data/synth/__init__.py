"""The built-in synthetic anti-UAV dataset: procedural skies with drone swarms, seeded and fast."""

from .build import build_dataset, render_image, render_video

__all__ = ("build_dataset", "render_image", "render_video")
