"""Paired per-clip differences between two trackers of one `benchmarks.tracking` record, with 95 % intervals.

The tracking benchmark's table pools each sensor's clips (TrackEval's combined HOTA). To say whether one tracker
beats another, this pairs them clip by clip on the same detections: the per-clip difference of HOTA and IDF1, its mean
over the clips of a sensor, and a 95 % bootstrap interval over clips (`scipy.stats.bootstrap`, percentile method,
clips resampled with replacement, 10,000 resamples, seed 0). The unit is the clip, so frames of one clip are not
treated as independent.

    python -m benchmarks.tracking_paired benchmarks/results/tracking_heldout.json --tracker srtod-bytetrack \\
        --against bytetrack botsort --out benchmarks/results/tracking_heldout_paired.json
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from benchmarks.common import command_line

METRICS = ("HOTA", "IDF1")


def paired_by_clip(per_clip: list[dict], tracker: str, against: str, metric: str, resamples: int = 10000) -> dict:
    """Per sensor and detection source: `tracker` minus `against` in `metric`, clip by clip, x100.

    Args:
        per_clip (list[dict]): The `per_clip` rows of a `benchmarks.tracking` record (clip, sensor, source, tracker
            and the metrics in [0, 1]).
        tracker (str): The tracker whose gain is measured, e.g. 'srtod-bytetrack'.
        against (str): The tracker it is compared with, e.g. 'bytetrack'.
        metric (str): 'HOTA', 'IDF1', or another per-clip metric of the record.
        resamples (int): Bootstrap resamples of the clips.

    Returns:
        (dict): '<sensor>/<source>' -> {'n' clips, 'mean' difference, 'interval' [low, high] (95 %, None under 2
        clips), 'higher' (clips where `tracker` is above), 'lower'}; the differences in percentage points.

    Raises:
        ValueError: A tracker is not in the record, or a clip has one tracker's row and not the other's.
    """
    rows = defaultdict(dict)
    for row in per_clip:
        rows[(row["sensor"], row["source"], row["clip"])][row["tracker"]] = 100 * row[metric]
    names = {t for scores in rows.values() for t in scores}
    for name in (tracker, against):
        if name not in names:
            raise ValueError(f"tracker '{name}' is not in the record (it has: {', '.join(sorted(names))})")
    groups = defaultdict(list)
    for (sensor, source, clip), scores in sorted(rows.items()):
        if (tracker in scores) != (against in scores):
            raise ValueError(f"clip {clip} ({source}) has a {metric} for only one of {tracker} and {against}")
        if tracker in scores:
            groups[f"{sensor}/{source}"].append(scores[tracker] - scores[against])
    out = {}
    for group, differences in groups.items():
        d = np.asarray(differences)
        interval = None
        if len(d) > 1 and np.ptp(d) > 0:
            ci = stats.bootstrap(
                (d,), np.mean, n_resamples=resamples, confidence_level=0.95, method="percentile", random_state=0
            ).confidence_interval
            interval = [float(ci.low), float(ci.high)]
        elif len(d) > 1:  # every clip the same difference: nothing to resample
            interval = [float(d[0]), float(d[0])]
        out[group] = {
            "n": len(d),
            "mean": float(d.mean()),
            "interval": interval,
            "higher": int((d > 0).sum()),
            "lower": int((d < 0).sum()),
        }
    return out


def format_table(result: dict) -> str:
    """Markdown: one row per (comparison, sensor/source), HOTA and IDF1 differences with their intervals."""
    lines = [
        "| comparison | clips | ΔHOTA [95 % CI] | higher / lower | ΔIDF1 [95 % CI] | higher / lower |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for comparison, metrics in result["comparisons"].items():
        for group in metrics["HOTA"]:
            cells = []
            for metric in METRICS:
                r = metrics[metric][group]
                ci = f" [{r['interval'][0]:+.1f}, {r['interval'][1]:+.1f}]" if r["interval"] else ""
                cells += [f"{r['mean']:+.1f}{ci}", f"{r['higher']} / {r['lower']}"]
            lines.append(f"| {comparison} | {group} ({metrics['HOTA'][group]['n']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Entry point: read the record, pair the trackers, print the table and write the JSON."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("record", type=Path, help="a benchmarks.tracking JSON (its per_clip rows)")
    p.add_argument("--tracker", default="srtod-bytetrack")
    p.add_argument("--against", nargs="+", default=["bytetrack", "botsort"])
    p.add_argument("--resamples", type=int, default=10000)
    p.add_argument("--out", type=Path, default=None, help="JSON output (default: print only)")
    args = p.parse_args(argv)
    if not args.record.is_file():
        p.error(f"record '{args.record}' not found")
    record = json.loads(args.record.read_text())
    if "per_clip" not in record:
        p.error(f"'{args.record}' has no per_clip rows: is it a benchmarks.tracking record?")
    result = {
        "command": command_line(argv, "benchmarks.tracking_paired"),
        "record": str(args.record),
        "record_command": record.get("command"),
        "unit": "clip",
        "method": f"mean per-clip difference x100; scipy.stats.bootstrap, percentile, {args.resamples} resamples",
        "comparisons": {
            f"{args.tracker} - {other}": {
                metric: paired_by_clip(record["per_clip"], args.tracker, other, metric, args.resamples)
                for metric in METRICS
            }
            for other in args.against
        },
    }
    result["markdown"] = format_table(result)
    print(result["markdown"])
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
