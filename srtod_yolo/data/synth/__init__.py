"""The built-in synthetic anti-UAV dataset: procedural skies with drone swarms, seeded and fast."""

from .build import build_dataset, render_image, render_video
from .mot import SwarmClip, render_swarm_clip

__all__ = ("SwarmClip", "build_dataset", "render_image", "render_swarm_clip", "render_video")
