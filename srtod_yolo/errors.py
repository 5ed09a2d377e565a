"""Errors srtod-yolo raises on purpose, for the callers and commands that tell them apart from bugs."""

from __future__ import annotations

__all__ = ("DatasetDownloadError", "MissingPackageError", "OfflineWeightsError")


class MissingPackageError(ModuleNotFoundError):
    """An optional package a feature needs is not installed; the message names it and the command that installs it.

    A `ModuleNotFoundError`, so `except ImportError` still catches it; unlike one raised by a failed import inside
    srtod-yolo (a bug), the `yolo` and `srtod` commands print it without a traceback (`srtod_yolo.yolo.cli_errors`).
    """


class OfflineWeightsError(ConnectionError, FileNotFoundError):
    """Weights that are neither here nor released, and that could not be downloaded.

    A `ConnectionError`, as ultralytics' own download failure: callers that skip a step when offline (ultralytics'
    AMP check loads `yolo26n.pt` and skips on ConnectionError) go on doing so. A `FileNotFoundError` too: the commands
    print its message, which names the offline starting points, without a traceback.
    """


class DatasetDownloadError(ConnectionError, FileNotFoundError):
    """A dataset's `download:` step could not fetch its archives (offline, or the server refused).

    A `ConnectionError`, as ultralytics' own download failure, and a `FileNotFoundError`: the dataset is still not
    there, and the commands print the message (the URL, the manual route) without a traceback. Nothing half-made is
    left behind: the step removes the folders it created.
    """
