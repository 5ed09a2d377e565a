"""srtod-yolo: SR-TOD tiny-object detection (ECCV 2024) as an add-on for Ultralytics YOLO."""

__version__ = "0.1.0"
