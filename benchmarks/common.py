"""Helpers the benchmarks share: the machine a result came from, and robust timing statistics."""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else `platform.processor()`)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(name: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_commit() -> str | None:
    """The repository's HEAD commit (with '+dirty' when tracked files changed), or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=REPO, capture_output=True).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty else "")


def command_line(args: list[str] | None = None, module: str | None = None, root: Path = REPO) -> str:
    """The command that started this benchmark, as a user would type it: `python -m MODULE ARGS...`.

    `args` defaults to `sys.argv[1:]`, `module` to the one `sys.argv[0]` names (a script outside the checkout is
    written as it was started). Recorded commands land in committed JSON and docs, so they name no folder of this
    machine: an absolute path inside the checkout `root` is written relative to it, and one outside (a scratch
    `--work` folder) as `"${TMPDIR:-/tmp}/NAME"`, a scratch folder of the reader's own (`NAME`: the path's last
    part).
    """
    if module is None:
        script = Path(sys.argv[0])
        inside = script.is_absolute() and script.is_relative_to(root)
        module = ".".join(script.with_suffix("").relative_to(root).parts) if inside else None
    head = f"python -m {module}" if module else shlex.quote(sys.argv[0])
    args = sys.argv[1:] if args is None else args
    return " ".join([head, *(_portable_argument(a, root) for a in args)])


def _portable_argument(argument: str, root: Path) -> str:
    """One argument of `command_line`, shell-quoted, its absolute path (also in `--opt=/path`) made portable."""
    option, equals, value = argument.partition("=") if argument.startswith("--") else ("", "", argument)
    if not value.startswith("/"):
        return shlex.quote(argument)
    path = Path(value)
    if path.is_relative_to(root):
        return shlex.quote(option + equals + str(path.relative_to(root)))
    return option + equals + '"${TMPDIR:-/tmp}/' + re.sub(r"[^\w.-]", "_", path.name) + '"'


def machine_info(threads: int) -> dict:
    """What a timing depends on: CPU, cores, load, library versions and thread counts."""
    import torch

    info = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": package_version("onnxruntime") or package_version("onnxruntime-gpu"),
        "onnx": package_version("onnx"),
        "ultralytics": package_version("ultralytics"),
        "threads": threads,
        "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "cuda": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "git_commit": git_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return info


def summarise(times_s: list[float]) -> dict:
    """Median, quartiles, IQR and minimum of a list of durations in seconds, in milliseconds."""
    ms = np.asarray(times_s, dtype=float) * 1e3
    q1, median, q3 = np.percentile(ms, [25, 50, 75])
    return {
        "runs": int(ms.size),
        "median_ms": round(float(median), 3),
        "q1_ms": round(float(q1), 3),
        "q3_ms": round(float(q3), 3),
        "iqr_ms": round(float(q3 - q1), 3),
        "min_ms": round(float(ms.min()), 3),
    }


def paired_ratio(times_s: list[float], baseline_s: list[float]) -> dict:
    """Median and quartiles of the per-round ratio time / baseline time (rounds interleave both, so drift cancels)."""
    ratio = np.asarray(times_s, dtype=float) / np.asarray(baseline_s, dtype=float)
    q1, median, q3 = np.percentile(ratio, [25, 50, 75])
    return {"ratio": round(float(median), 4), "ratio_q1": round(float(q1), 4), "ratio_q3": round(float(q3), 4)}


def write_record(record: dict, path: Path) -> dict:
    """Write a benchmark's JSON record (folders made, numpy scalars as floats), say where, and return the record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=float) + "\n")
    print(f"wrote {path}")
    return record


def in_checkout(path: str | Path) -> str:
    """A path as a reader's checkout names it: relative to the repository where it lies inside it, else as given
    (posix separators); for records and docs, which must not name this machine's folders."""
    resolved = Path(path).resolve()
    return resolved.relative_to(REPO).as_posix() if resolved.is_relative_to(REPO) else Path(path).as_posix()


def save_figure(fig, path: Path) -> Path:
    """Lay out a matplotlib figure, write it to `path` (its folder made), close it and return the path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
