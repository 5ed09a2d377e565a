"""The `srtod` command: what the stock `yolo` command lacks, in the same `key=value` grammar.

srtod synth out=datasets/droneswarms-synth train=1000 val=200 seed=0
srtod convert dataset=visdrone raw=downloads/visdrone out=datasets/visdrone2019
srtod val model=yolov8n-p2-halmstad.pt data=DIR/data.yaml
srtod demo
srtod info
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

__all__ = ("main", "parse_args")

USAGE = """usage: srtod COMMAND [key=value ...]

commands (with their arguments and defaults):
  synth    build the synthetic anti-UAV set
           out=datasets/droneswarms-synth train=1000 val=200 seed=0 width=640 height=512 video=150 workers=auto
  convert  a real dataset to YOLO format
           dataset=droneswarms|aitod|visdrone|halmstad raw=DIR out=DIR mode=link (link, copy or move the images;
           halmstad also takes stride=10 and val_every=4 or val_clips=FILE: the clips it names go to val, e.g.
           val_clips=halmstad-drone-val-clips.txt, the val clips of the released weights' data)
  val      validate each image size of a split at its own size (a thermal 320x256 frame at 320, a visible
           640x512 frame at 640) and merge the AI-TOD metrics; any other `yolo val` argument passes through
           model=(required) data=(required) split=val imgsz=native project=runs_dir/detect name=val-native
  track-eval  score a tracker's MOTChallenge file (yolo track save_tracks=True writes <name>_mot.txt) against
           ground truth (a MOTChallenge gt.txt, or a Halmstad *_LABELS.csv): HOTA, MOTA, IDF1, ID switches, state acc
           tracks=(required) gt=(required) frames=(the last frame either names) vid_stride=1 (yolo track's)
  demo     fine-tune SR-TOD on synthetic swarms, predict real clips with the released weights
           out=demo epochs=3 imgsz=320 train=300 val=60 seed=0 vid_stride=1
  info     versions, hooks, shipped model and dataset YAMLs, released weights

Training, validation, prediction, tracking and export use the stock command: yolo train model=srtod-yolov8n-p2.yaml ...
"""


def parse_args(tokens: list[str], allowed: dict, extra: bool = False, types: dict | None = None) -> dict:
    """Parse `key=value` tokens against the allowed keys (their defaults); values are read as YAML scalars.

    A key whose default is a number (or that `types` names, for one whose default is None) takes a number of that
    kind: `epochs=abc` is refused with a message naming the argument, not a traceback from deep inside. With
    `extra=True` the `yolo` arguments are taken too (for a command that passes them on to ultralytics, which checks
    their values); any other key is refused, with the nearest valid names.
    """
    args, types = dict(allowed), dict(types or {})
    for key, default in allowed.items():
        if _is_number(default) and key not in types:
            types[key] = type(default)
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise SystemExit(f"srtod: expected key=value, got '{token}'\n\n{USAGE}")
        if key not in allowed and not (extra and key in _yolo_arguments()):
            valid = sorted(set(allowed) | (_yolo_arguments() if extra else set()))
            near = difflib.get_close_matches(key, valid, n=3)
            hint = f"did you mean {' or '.join(f'{k}=' for k in near)}? " if near else ""
            listed = ", ".join(sorted(allowed)) + (" and any `yolo val` argument" if extra else "")
            raise SystemExit(f"srtod: unknown argument '{key}'; {hint}valid: {listed}")
        args[key] = yaml.safe_load(value) if value else None
        kind, got = types.get(key), args[key]
        if kind is not None and got is not None and (not _is_number(got) or (kind is int and not isinstance(got, int))):
            what = "a whole number" if kind is int else "a number"
            raise SystemExit(f"srtod: {key}={value}: expected {what}, e.g. {key}={allowed[key] or 1}")
    return args


def _is_number(value) -> bool:
    """An int or a float, and not a bool (YAML's true is not 1 here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _yolo_arguments() -> set[str]:
    """The argument names the stock `yolo` command takes (ultralytics' default configuration)."""
    from ultralytics.cfg import DEFAULT_CFG_DICT

    return set(DEFAULT_CFG_DICT)


def _synth(tokens: list[str]) -> None:
    from .data.synth import build_dataset

    a = parse_args(
        tokens,
        {
            "out": "datasets/droneswarms-synth",
            "train": 1000,
            "val": 200,
            "seed": 0,
            "width": 640,
            "height": 512,
            "video": 150,
            "workers": "auto",
        },
    )
    workers = None if a["workers"] in {"auto", None} else a["workers"]  # auto: build_dataset picks by CPU count
    if workers is not None and (not _is_number(workers) or not isinstance(workers, int) or workers < 1):
        raise SystemExit(f"srtod: workers={a['workers']}: expected auto or a whole number of processes, e.g. workers=2")
    stats = build_dataset(a["out"], a["train"], a["val"], a["seed"], a["width"], a["height"], workers, a["video"] or 0)
    train = stats["train"]
    print(
        f"wrote {a['out']}: {a['train']} train + {a['val']} val images; {train['boxes']} train boxes, "
        f"mean size {train['mean_size']} px, AI-TOD bins {train['bins']}"
    )


def _convert(tokens: list[str]) -> None:
    from .data.convert import CONVERTERS, convert_dataset, format_summary

    a = parse_args(
        tokens,
        {
            "dataset": None,
            "raw": None,
            "out": None,
            "mode": "link",
            "stride": None,
            "val_every": None,
            "val_clips": None,
        },
        types={"stride": int, "val_every": int},
    )
    missing = [k for k in ("dataset", "raw", "out") if a[k] is None]
    if missing:
        raise SystemExit(f"srtod convert: {', '.join(missing)} missing; e.g. dataset=visdrone raw=DIR out=DIR")
    if a["dataset"] not in CONVERTERS:
        raise SystemExit(f"srtod convert: unknown dataset '{a['dataset']}'; valid: {', '.join(CONVERTERS)}")
    extra = {k: a[k] for k in ("stride", "val_every", "val_clips") if a[k] is not None}
    if extra and a["dataset"] != "halmstad":
        raise SystemExit(f"srtod convert: {' and '.join(f'{k}=' for k in extra)} only work with dataset=halmstad")
    if "val_every" in extra and "val_clips" in extra:
        raise SystemExit("srtod convert: give val_every= or val_clips=, not both (val_clips= names the val clips)")
    try:
        if "val_clips" in extra:
            from .data.convert.halmstad import read_clip_list

            extra["val_clips"] = read_clip_list(str(extra["val_clips"]))
        summaries = convert_dataset(a["dataset"], str(a["raw"]), str(a["out"]), mode=a["mode"], **extra)
    except (OSError, ValueError) as e:  # missing folders, unreadable files, bad rows: the message names them
        raise SystemExit(f"srtod convert: {e}") from e
    print(f"converted {a['dataset']} from {a['raw']} to {a['out']} (data.yaml written there):")
    for line in format_summary(summaries):
        print(f"  {line}")
    from .data.convert.halmstad import VAL_EVERY

    every = int(extra.get("val_every", VAL_EVERY))
    if a["dataset"] == "halmstad" and "val_clips" not in extra and every:
        print(
            f"  val: one clip in {every} of each sensor and class (val_every={every}), which can hold the released "
            "*-halmstad.pt weights' training clips: to score them, convert with "
            "val_clips=halmstad-drone-val-clips.txt (their val clips) instead"
        )
    # Which splits were found, and what the data.yaml does where one is missing (its comments say why).
    data_yaml = Path(str(a["out"])) / "data.yaml"
    for line in data_yaml.read_text(encoding="utf-8").splitlines():
        if line.startswith("# splits found:"):
            print(f"  {line[2:]}")
        elif line.startswith(("train:", "val:", "test:")):
            print(f"  data.yaml {line}")


def _val(tokens: list[str]) -> None:
    from .yolo.native_val import validate_native

    a = parse_args(tokens, {"model": None, "data": None, "split": "val", "imgsz": "native", "name": "val-native"}, True)
    missing = [k for k in ("model", "data") if a[k] is None]
    if missing:
        example = "model=yolov8n-p2-halmstad.pt data=DIR/data.yaml"
        raise SystemExit(f"srtod val: {' and '.join(missing)} missing; e.g. {example}")
    validate_native(**a)


def _track_eval(tokens: list[str]) -> None:
    from .metrics.tracking import score_tracks

    a = parse_args(tokens, {"tracks": None, "gt": None, "frames": None, "vid_stride": 1}, types={"frames": int})
    missing = [k for k in ("tracks", "gt") if a[k] is None]
    if missing:
        example = "tracks=runs/detect/track/clip_mot.txt gt=clip_LABELS.csv"
        raise SystemExit(f"srtod track-eval: {' and '.join(missing)} missing; e.g. {example}")
    try:
        r = score_tracks(str(a["tracks"]), str(a["gt"]), a["frames"], a["vid_stride"] or 1)
    except (OSError, ValueError) as e:
        raise SystemExit(f"srtod track-eval: {e}") from e
    if "stride_hint" in r:
        k = r["stride_hint"]
        print(
            f"WARNING: the tracks name one frame in {k}, as `yolo track vid_stride={k}` makes them; the ground truth's "
            f"other frames count as missed. If they were made so, score again with vid_stride={k}."
        )
    which = f"frames 1-{r['frames']}"
    if r["vid_stride"] > 1:
        which = f"one in {r['vid_stride']} of frames 1-{r['frames']} ({r['frames_scored']} frames, vid_stride)"
    print(f"{a['tracks']} against {a['gt']}, {which} (TrackEval; percent but IDSW, FP, FN):")
    columns = {"HOTA": "HOTA", "DetA": "DetA", "AssA": "AssA", "MOTA": "MOTA", "IDF1": "IDF1", "IDSW": "IDSW"}
    columns |= {"CLR_FP": "FP", "CLR_FN": "FN", "state_accuracy": "state acc"}  # result key: column name
    counts = ("IDSW", "CLR_FP", "CLR_FN")
    print("".join(f"{name:>10s}" for name in columns.values()))
    print("".join(f"{r[k]:10.0f}" if k in counts else f"{100 * r[k]:10.1f}" for k in columns))


def _demo(tokens: list[str]) -> None:
    from .demo import run_demo

    a = parse_args(
        tokens, {"out": "demo", "epochs": 3, "imgsz": 320, "train": 300, "val": 60, "seed": 0, "vid_stride": 1}
    )
    run_demo(**a)


def _info(tokens: list[str]) -> None:
    from importlib import metadata

    from . import __version__
    from .weights import released_weights
    from .yolo.hooks import SUPPORTED_ULTRALYTICS, config_dirs, hooks_enabled, scaled

    parse_args(tokens, {})
    print(
        f"srtod-yolo {__version__}, ultralytics {metadata.version('ultralytics')} "
        f"(supported {SUPPORTED_ULTRALYTICS}), hooks {'on' if hooks_enabled() else 'off (SRTOD_YOLO_HOOKS=0)'}"
    )
    for folder in config_dirs():
        names = sorted(p.name for p in folder.glob("*.yaml"))
        if folder.name == "models":  # family files: the scale letter goes after the version (yolov8n-p2)
            names = [scaled(n, "{n,s,m,l,x}") for n in names]
        print(f"{folder.name}: {', '.join(names)}")
    released = released_weights()
    print(f"weights (by bare name, offline): {', '.join(released) or 'none in this install'}")


COMMANDS: dict[str, Callable[[list[str]], None]] = {
    "synth": _synth,
    "convert": _convert,
    "val": _val,
    "track-eval": _track_eval,
    "demo": _demo,
    "info": _info,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `srtod` command."""
    if argv is None:  # the console script (not a call from Python): a user's mistake as its message
        from .yolo.cli_errors import install_excepthook

        install_excepthook()
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"srtod: unknown command '{argv[0]}'\n\n{USAGE}", file=sys.stderr)
        return 2
    if any(token in {"-h", "--help", "help"} for token in argv[1:]):  # `srtod synth --help`
        print(USAGE)
        return 0
    command(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
