"""Imported at interpreter start by `srtod_yolo_hooks.pth`: arm the hooks for when ultralytics is imported.

It must stay cheap: it imports nothing heavy and only adds an import-system finder that fires once, after the
`ultralytics` package has finished importing, and then calls `srtod_yolo.yolo.hooks.install()`. This is how the
stock `yolo` command, a DDP worker, or any script that imports ultralytics sees SR-TOD models. Set
SRTOD_YOLO_HOOKS=0 to leave ultralytics untouched.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

TARGET = "ultralytics"


class _HookingLoader(importlib.abc.Loader):
    """Delegate to ultralytics' own loader, then install the hooks once the package has executed."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        from srtod_yolo.yolo.hooks import install

        install()

    def __getattr__(self, name):  # resource readers and the like
        return getattr(self._loader, name)


class _UltralyticsFinder(importlib.abc.MetaPathFinder):
    """Find `ultralytics` with the other finders and wrap its loader; fires once."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != TARGET:
            return None
        sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _HookingLoader(spec.loader)
        return spec


def _arm() -> None:
    if os.environ.get("SRTOD_YOLO_HOOKS", "1").strip().lower() in {"0", "false", "off", "no"}:
        return
    if TARGET in sys.modules:  # imported before this ran (unusual): install straight away
        from srtod_yolo.yolo.hooks import install

        install()
    elif not any(isinstance(f, _UltralyticsFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _UltralyticsFinder())


_arm()
