"""srtod-bytetrack's settings, one at a time around their defaults, on held-out synthetic clips: the tuning record.

docs/tracking.md ("Tuning, honestly") reads this record. Each setting of cfg/trackers/srtod-bytetrack.yaml is varied
alone, the others at their defaults, on noisy detections derived from the ground truth (`noisy-gt`: no detector, so
the record does not depend on any weights) of synthetic swarm clips whose seeds (100, 101, 102) are never reported
elsewhere. HOTA, IDF1, AssA and ID switches are TrackEval's, pooled over the clips (benchmarks.tracking).

    python -m benchmarks.tracking_sweep                  # about 15 s per setting on 2 cores; writes the JSON below
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.common import REPO, command_line, machine_info, write_record
from benchmarks.tracking_data import CACHE

OUT = REPO / "benchmarks" / "results" / "tracking_sweep.json"
SEEDS = (100, 101, 102)
# Values tried per setting; each list holds the default of cfg/trackers/srtod-bytetrack.yaml.
GRID = {
    "nwd_constant": (5.0, 8.0, 12.0),
    "lost_growth": (0.0, 0.1, 0.3),
    "track_buffer": (30, 60),
    "match_thresh": (0.7, 0.8, 0.9),
    "second_match_thresh": (0.5, 0.7),
    "nwd_max_size": (12.0, 16.0, 24.0),
    "duplicate_iou": (0.5, 1.0),
}


def defaults() -> dict:
    """The shipped srtod-bytetrack.yaml's values of the swept settings."""
    from ultralytics.utils import YAML
    from ultralytics.utils.checks import check_yaml

    cfg = YAML.load(check_yaml("srtod-bytetrack.yaml"))
    return {key: cfg[key] for key in GRID}


def run(key: str | None, value, args, folder: Path) -> dict:
    """One benchmarks.tracking run of srtod-bytetrack on noisy-gt of `args.seeds`, with `key=value` (None: defaults)."""
    from benchmarks.tracking import main

    argv = ["--no-real", "--sources", "noisy-gt", "--trackers", "srtod-bytetrack", "--synthetic-seeds"]
    argv += [str(s) for s in args.seeds] + ["--synthetic-frames", str(args.frames), "--cache", str(args.cache)]
    argv += ["--out", str(folder / f"{key or 'defaults'}-{value}.json")]
    if key is not None:
        argv += ["--set", f"{key}={value}"]
    (row,) = main(argv)["table"]
    return {"setting": key, "value": value, **{m: row[m] for m in ("HOTA", "IDF1", "AssA", "DetA", "IDSW")}}


def markdown(rows: list[dict], shipped: dict) -> str:
    """The sweep as a Markdown table (x100): the all-defaults row, then one row per value tried away from a default."""
    lines = ["| setting | value | HOTA | IDF1 | AssA | IDSW |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        name = r["setting"] or "all defaults"
        value = "" if r["setting"] is None else f"{r['value']} (default {shipped[r['setting']]})"
        cells = " | ".join(f"{100 * r[m]:.1f}" for m in ("HOTA", "IDF1", "AssA"))
        lines.append(f"| {name} | {value} | {cells} | {int(r['IDSW'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS), help="synthetic clip seeds (held out)")
    p.add_argument("--settings", nargs="+", default=list(GRID), choices=list(GRID), help="which settings to sweep")
    p.add_argument("--frames", type=int, default=150, help="frames of each synthetic clip")
    p.add_argument("--cache", type=Path, default=CACHE, help="folder of rendered clips (benchmarks.tracking's)")
    p.add_argument("--out", type=Path, default=OUT, help="JSON output")
    args = p.parse_args(argv)

    shipped = defaults()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(None, None, args, Path(tmp))]
        for key in args.settings:
            for value in GRID[key]:
                if value != shipped[key]:  # the defaults' row stands for each setting's default
                    rows.append(run(key, value, args, Path(tmp)))
    table = markdown(rows, shipped)
    print(table)
    out = {
        "command": command_line(),
        "machine": machine_info(threads=0) | {"note": "2 cores shared with other engineers' jobs"},
        "seeds": args.seeds,
        "frames": args.frames,
        "detections": "noisy-gt (benchmarks.tracking_data.noisy_gt_detections, noise seed 0)",
        "defaults": shipped,
        "rows": rows,
        "markdown": table,
    }
    return write_record(out, args.out)


if __name__ == "__main__":
    main()
