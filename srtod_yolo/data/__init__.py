"""Data for tiny-object detection: the synthetic anti-UAV set, converters of real datasets, data checks."""
