"""The one module that reaches into ultralytics internals. Everything else uses its public surface.

ultralytics has no plugin registry: YAML layer names resolve through `globals()` of `ultralytics.nn.tasks`,
model and dataset YAMLs by a glob inside the ultralytics package, and the `yolo` command picks its classes from
`YOLO.task_map`. `install()` patches exactly these points, each listed in `PATCHES`:

1. `tasks.SRTOD` and `tasks.parse_model`: the SR-TOD layer name, and its input width for the parser;
2. `checks.check_file` and `data.utils.check_file`: model and dataset YAMLs shipped with srtod-yolo resolve by
   name from any directory (`model=srtod-yolov8n-p2.yaml`, `data=droneswarms-synth.yaml`); a misspelled one
   says which shipped names are close;
3. `YOLO.task_map`: detection uses srtod-yolo's model builder, trainer, validator and predictor, which behave
   as the stock ones on models without SR-TOD layers, plus tiny-object metrics;
4. `DEFAULT_CFG`: the extra `key=value` arguments of `EXTRA_ARGS`, so `yolo predict save_diff=True` parses;
5. the default callbacks: SR-TOD export settings and metadata (`srtod_yolo.yolo.export.prepare_export`);
6. `torch.serialization.add_safe_globals`: SR-TOD checkpoints load under `ULTRALYTICS_SAFE_LOAD=1`;
7. `Exporter.__call__`: a clear error, before ultralytics picks a device, where the format's backend (TensorRT) is
   missing;
8. `ultralytics.utils.export.engine.torch2onnx`: `yolo export srtod_output=difference|mask` names the SR-TOD map
   `output1` with dynamic axes, and fixed output axes stay fixed (`srtod_yolo.yolo.export.torch2onnx`);
9. `ultralytics.utils.downloads.attempt_download_asset`: released srtod-yolo weights resolve by bare name
   (`model=srtod-yolov8n-p2-halmstad.pt`) from the installed package, before ultralytics would look online; a
   misspelled one fails at once with the released names instead of a download that cannot succeed, and a download
   that fails offline (`pretrained=yolov8n.pt`) names the released starting points that need none;
10. `ultralytics.trackers.track.TRACKER_MAP`: `tracker_type: srtod_bytetrack` selects the tiny-target ByteTrack
   (`srtod_yolo.yolo.tracker`); its YAML resolves by name through patch 2 (`tracker=srtod-bytetrack.yaml`);
11. `ultralytics.utils.export.openvino.torch2openvino`: `yolo export format=openvino` carries `srtod_output` as
   `output1`, and with `quantize=8` NNCF leaves the SR-TOD gate in floating point
   (`srtod_yolo.yolo.export_int8.torch2openvino`);
12. `ultralytics.utils.export.onnx.onnx_int8_quantize`: `yolo export format=onnx quantize=8` (ONNX Runtime static
   QDQ) leaves the SR-TOD gate in FP32 (`srtod_yolo.yolo.export_int8.onnx_int8_quantize`);
13. `ultralytics.nn.backends.openvino.OpenVINOBackend.load_model`: SR-TOD models run with FP32 inference precision
   on CPUs where OpenVINO would otherwise run them in bfloat16 (`srtod_yolo.yolo.export_int8.compile_in_fp32`).
14. `sys.excepthook`, in the `yolo` command only: a user's mistake (a file or name that does not exist, input
   srtod-yolo refuses) prints its message without the traceback (`srtod_yolo.yolo.cli_errors`;
   `SRTOD_YOLO_TRACEBACK=1` restores it);
15. `ultralytics.cfg.check_cfg`: srtod-yolo's own arguments (`EXTRA_ARGS`) are checked in every mode, as ultralytics
   checks its own (`check_extra_args`), so `yolo predict srtod_output=diff` fails at once instead of being ignored.

A `.pth` file installed with the package calls `install()` when ultralytics is first imported (see
`srtod_yolo._autoload`); `SRTOD_YOLO_HOOKS=0` switches all of it off. The patches were written for the
ultralytics versions in `SUPPORTED_ULTRALYTICS`; `install()` refuses others with a message saying what to do.
"""

from __future__ import annotations

import os
import re
import threading
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

__all__ = (
    "EXTRA_ARGS",
    "PATCHES",
    "check_extra_args",
    "SUPPORTED_ULTRALYTICS",
    "hooks_enabled",
    "install",
    "misspelled_config",
    "resolve_config",
    "shipped_configs",
)

SUPPORTED_ULTRALYTICS = SpecifierSet(">=8.4.190,<8.5")
SWITCH = "SRTOD_YOLO_HOOKS"
PATCHES = (
    "ultralytics.nn.tasks.SRTOD",
    "ultralytics.nn.tasks.parse_model",
    "ultralytics.utils.checks.check_file",
    "ultralytics.data.utils.check_file",
    "ultralytics.models.yolo.model.YOLO.task_map",
    "ultralytics.utils.DEFAULT_CFG (keys of EXTRA_ARGS)",
    "ultralytics.utils.callbacks.base.default_callbacks['on_export_start']",
    "ultralytics.engine.exporter.Exporter.__call__",
    "ultralytics.utils.export.engine.torch2onnx",
    "ultralytics.utils.downloads.attempt_download_asset",
    "ultralytics.trackers.track.TRACKER_MAP['srtod_bytetrack']",
    "ultralytics.utils.export.openvino.torch2openvino",
    "ultralytics.utils.export.onnx.onnx_int8_quantize",
    "ultralytics.nn.backends.openvino.OpenVINOBackend.load_model",
    "sys.excepthook (the yolo command only)",
    "ultralytics.cfg.check_cfg",
)
# Arguments srtod-yolo adds to the `yolo` grammar, with their defaults.
EXTRA_ARGS = {
    "save_diff": False,  # predict/track: save the SR-TOD difference map as a heat-map overlay beside each result
    # track: per source, <name>_tracks.csv/.json (one row per track) and <name>_mot.txt (MOTChallenge rows) in save_dir
    "save_tracks": False,
    "tiny_metrics": True,  # val: AI-TOD size-binned AP (AP_vt, AP_t, AP_s, AP_m) and AP@0.25
    "srtod_output": "none",  # export (onnx, engine, openvino): none | difference | mask, the SR-TOD map as 'output1'
    # predict/track, sliced (SAHI) inference of high-resolution frames (docs/sliced.md; needs srtod-yolo[sahi]):
    "slice": False,  # cut each frame into overlapping slices, detect in each, merge back into frame pixels
    "slice_size": 640,  # side of the square slices, in original-frame pixels (each is letterboxed to imgsz)
    "slice_overlap": 0.2,  # fraction of slice_size shared by neighbouring slices
    "slice_full": True,  # also run the whole frame letterboxed to imgsz, for objects larger than a slice
    "slice_merge": "GREEDYNMM",  # SAHI merge of detections across slices: GREEDYNMM, NMM or NMS (NMS/IOU if conf<0.1)
    "slice_match_metric": "IOS",  # overlap measure of that merge: IOS (over the smaller box) or IOU
    "slice_match_threshold": 0.5,  # overlap from which two detections are one object
    "slice_batch": 0,  # slices per forward pass (0: 1 on CPU, 16 on GPU)
}

BOOL_ARGS = tuple(key for key, value in EXTRA_ARGS.items() if isinstance(value, bool))

_lock = threading.RLock()
_state = {"installed": False, "installing": False}


def hooks_enabled() -> bool:
    """Whether the ultralytics hooks are switched on (`SRTOD_YOLO_HOOKS` unset or not 0/false/off/no)."""
    return os.environ.get(SWITCH, "1").strip().lower() not in {"0", "false", "off", "no"}


def check_extra_args(cfg: dict, hard: bool = True) -> None:
    """Check srtod-yolo's arguments (`EXTRA_ARGS`) in a config dict, as ultralytics' `check_cfg` checks its own.

    It runs in every mode (train, val, predict, track, export), so a wrong value fails before any work, also in
    the modes that do not read it. `None` passes for the flags (read as False) and `srtod_output` (read as none),
    and fails for the `slice_*` values, which have no "unset".

    Args:
        cfg (dict): The merged arguments of a run (ultralytics' `get_cfg`); modified in place when `hard` is False.
        hard (bool): Raise on a non-bool flag (True), or convert it with `bool()` (False), as ultralytics does.

    Raises:
        ValueError: Naming the argument and its valid values: a flag (`save_diff`, `slice`, ...) that is not True
            or False, a `slice_*` value out of range (`srtod_yolo.yolo.sliced.SliceArgs`), or an `srtod_output`
            other than none, difference or mask.
    """
    from types import SimpleNamespace

    from .export import srtod_output_of
    from .sliced import SliceArgs

    for key in BOOL_ARGS:
        value = cfg.get(key)
        if value is not None and not isinstance(value, bool):
            if hard:
                raise ValueError(f"'{key}={value}' is not valid: '{key}' is True or False (i.e. '{key}=True')")
            cfg[key] = bool(value)
    given = SimpleNamespace(**{key: cfg[key] for key in EXTRA_ARGS if key in cfg})
    SliceArgs.from_args(given)
    srtod_output_of(given)


def config_dirs() -> tuple[Path, Path, Path]:
    """The folders holding srtod-yolo's model, dataset and tracker YAMLs (inside the wheel, or a checkout's cfg/)."""
    package = Path(__file__).resolve().parents[1]
    root = package / "cfg" if (package / "cfg").is_dir() else package.parent / "cfg"
    return root / "models", root / "datasets", root / "trackers"


def resolve_config(name: str | Path) -> str | None:
    """Full path of a model, dataset or tracker YAML shipped with srtod-yolo, given its bare file name; else None."""
    name = str(name)
    if not name.endswith((".yaml", ".yml")) or os.sep in name or "/" in name or os.path.exists(name):
        return None
    for folder in config_dirs():
        if (folder / name).is_file():
            return str(folder / name)
    return None


def shipped_configs() -> dict[str, Path]:
    """Every model, dataset and tracker YAML shipped with srtod-yolo, by file name."""
    return {p.name: p for folder in config_dirs() for p in sorted(folder.glob("*.yaml"))}


_missed = threading.local()  # the last YAML name check_file did not find with hard=False (see with_srtod_configs)
SCALE = r"(\d+)([nslmx])(.+)?$"  # ultralytics' yaml_model_load: yolov8n-p2.yaml is yolov8-p2.yaml at scale n


def unscaled(name: str) -> str:
    """The family file a scaled model name loads (yolov8n-p2.yaml -> yolov8-p2.yaml), ultralytics' rule."""
    return re.sub(SCALE, r"\1\3", name)


def scaled(family: str, scale: str) -> str:
    """A family file's name with a scale letter (or any text) after the version: yolov8-p2.yaml -> yolov8n-p2.yaml."""
    return re.sub(r"(yolov?\d+)", rf"\g<1>{scale}", family, count=1)


def misspelled_config(name: str | Path) -> str | None:
    """'Did you mean' for a bare YAML name close to a shipped one (e.g. srtod-yolov8n-p3.yaml), else None.

    A model name with a scale letter is compared without it, as ultralytics loads it, and the suggestion keeps the
    letter: srtod-yolov8n-p3.yaml suggests srtod-yolov8n-p2.yaml, not the family file srtod-yolov8-p2.yaml.
    """
    from ..weights import close_names

    name = str(name)
    if not name.endswith((".yaml", ".yml")) or os.sep in name or "/" in name:
        return None
    shipped = shipped_configs()
    close = close_names(name, shipped, cutoff=0.75)
    unified = unscaled(name)
    if unified != name:
        scale = re.search(SCALE, name).group(2)
        models = [n for n, p in shipped.items() if p.parent.name == "models"]
        suggested = [scaled(n, scale) for n in close_names(unified, models, 0.75)]
        close = [n for n in suggested if unscaled(n) in shipped] or close
    if not close:
        return None
    return f"Did you mean {' or '.join(close)}? `srtod info` lists every model, dataset and tracker srtod-yolo ships"


def check_ultralytics_version() -> str:
    """Return the installed ultralytics version; raise RuntimeError if the hooks were not written for it."""
    installed = metadata.version("ultralytics")
    if Version(installed) not in SUPPORTED_ULTRALYTICS:
        raise RuntimeError(
            f"srtod-yolo's ultralytics hooks were written for ultralytics{SUPPORTED_ULTRALYTICS}, but "
            f"ultralytics=={installed} is installed. Install a supported version (pip install "
            f"'ultralytics{SUPPORTED_ULTRALYTICS}'), or set {SWITCH}=0 to run ultralytics without SR-TOD."
        )
    return installed


def install() -> None:
    """Apply every patch of `PATCHES` once per process (thread-safe, idempotent)."""
    with _lock:
        # Importing ultralytics below can re-enter install() through the import hook: the outer call finishes it.
        if _state["installed"] or _state["installing"]:
            return
        _state["installing"] = True
        try:
            from .cli_errors import install_excepthook

            install_excepthook()  # the `yolo` command: a user's mistake as its message, not a traceback
            check_ultralytics_version()
            _install()
            _state["installed"] = True
        finally:
            _state["installing"] = False


def _require(obj, *names: str) -> None:
    """Fail clearly if ultralytics moved something the hooks patch."""
    missing = [n for n in names if not hasattr(obj, n)]
    if missing:
        raise RuntimeError(
            f"srtod-yolo hooks: {getattr(obj, '__name__', obj)} has no {', '.join(missing)} in this ultralytics "
            f"version; set {SWITCH}=0 and report it at the srtod-yolo issue tracker"
        )


def _delegate(module, name: str, replacement) -> None:
    """Replace `module.name` by a function calling `replacement(stock, *args, **kwargs)`; `__wrapped__` keeps stock."""
    stock = getattr(module, name)

    def patched(*args, **kwargs):
        return replacement(stock, *args, **kwargs)

    patched.__wrapped__ = stock
    setattr(module, name, patched)


def _install() -> None:
    import torch
    import ultralytics.cfg as ul_cfg
    import ultralytics.data.utils as data_utils
    import ultralytics.utils as ul_utils
    from ultralytics.engine.exporter import Exporter
    from ultralytics.models.yolo.model import YOLO
    from ultralytics.nn import tasks
    from ultralytics.nn.backends.openvino import OpenVINOBackend
    from ultralytics.trackers import track as ul_track
    from ultralytics.utils import checks, downloads
    from ultralytics.utils.callbacks import base as callbacks_base
    from ultralytics.utils.export import engine as export_engine
    from ultralytics.utils.export import onnx as export_onnx
    from ultralytics.utils.export import openvino as export_openvino

    from .. import nn as srtod_nn
    from ..errors import OfflineWeightsError
    from ..weights import missing_path_message, misspelled_weights, offline_weights_message, resolve_weights
    from . import export as srtod_export
    from . import export_int8 as srtod_export_int8
    from . import model as srtod_model
    from .predict import SRTODPredictor
    from .tracker import TRACKER_TYPE, SRTODByteTracker
    from .train import SRTODTrainer
    from .val import TinyObjectValidator

    _require(tasks, "parse_model", "yaml_model_load")
    _require(checks, "check_file")
    _require(data_utils, "check_file", "check_det_dataset")
    _require(ul_utils, "DEFAULT_CFG_DICT", "DEFAULT_CFG")
    _require(callbacks_base, "default_callbacks")
    _require(export_engine, "torch2onnx")
    _require(downloads, "attempt_download_asset", "GITHUB_ASSETS_NAMES")
    _require(ul_track, "TRACKER_MAP")
    _require(export_openvino, "torch2openvino")
    _require(export_onnx, "onnx_int8_quantize")
    _require(OpenVINOBackend, "load_model")
    _require(ul_cfg, "check_cfg", "get_cfg")
    if not isinstance(getattr(YOLO, "task_map", None), property):
        raise RuntimeError(f"srtod-yolo hooks: YOLO.task_map is no longer a property; set {SWITCH}=0")

    # 1. The layer name, and the rewrite of SR-TOD rows into arguments the stock parser can build.
    setattr(tasks, srtod_model.LAYER_NAME, srtod_model.SRTODLayer)
    stock_parse_model = tasks.parse_model

    def parse_model(d, ch, verbose=True):
        return stock_parse_model(_with_srtod_arguments(d, ch), ch, verbose)

    parse_model.__wrapped__ = stock_parse_model
    tasks.parse_model = parse_model

    # 2. YAML names.
    def with_srtod_configs(check_file):
        def wrapper(file, *args, **kwargs):
            try:
                found = check_file(resolve_config(file) or file, *args, **kwargs)
            except FileNotFoundError as e:
                # yaml_model_load tries the name as typed (hard=False), then without its scale letter: name the
                # typed one, so that the hint keeps the scale (srtod-yolov8n-p3.yaml -> srtod-yolov8n-p2.yaml).
                typed = getattr(_missed, "name", None)
                typed = typed if typed and typed != str(file) and unscaled(typed) == str(file) else None
                hint = misspelled_config(typed or file)
                if hint:
                    raise FileNotFoundError(f"'{typed}' does not exist. {hint}" if typed else f"{e}. {hint}") from e
                if "runs" in Path(str(file)).parts:  # an export or file of a training run: say where runs are
                    missing = missing_path_message(file, ul_utils.SETTINGS["runs_dir"])
                    if missing:
                        raise FileNotFoundError(missing) from e
                raise
            _missed.name = None if found else str(file)
            return found

        wrapper.__wrapped__ = check_file
        return wrapper

    checks.check_file = with_srtod_configs(checks.check_file)
    data_utils.check_file = with_srtod_configs(data_utils.check_file)

    # 3. The classes behind `yolo detect ...`.
    stock_task_map = YOLO.task_map

    def task_map(self):
        tasks_ = stock_task_map.fget(self)
        tasks_["detect"] = {
            "model": srtod_model.build_detection_model,
            "trainer": SRTODTrainer,
            "validator": TinyObjectValidator,
            "predictor": SRTODPredictor,
        }
        return tasks_

    YOLO.task_map = property(task_map, doc=stock_task_map.__doc__)

    # 4. Extra CLI arguments.
    for key, value in EXTRA_ARGS.items():
        ul_utils.DEFAULT_CFG_DICT.setdefault(key, value)
        setattr(ul_utils.DEFAULT_CFG, key, ul_utils.DEFAULT_CFG_DICT[key])

    # 5. Export: SR-TOD settings, the optional map output and metadata.
    callbacks_base.default_callbacks.setdefault("on_export_start", []).append(srtod_export.prepare_export)

    # 6. Safe loading.
    torch.serialization.add_safe_globals(
        [
            srtod_model.SRTODDetectionModel,
            srtod_model.TinyDetectionModel,
            srtod_model.SRTODLayer,
            srtod_nn.SRTOD,
            srtod_nn.ReconstructionHead,
            srtod_nn.ShuffleReconstructionHead,
            srtod_nn.HalfReconstructionHead,
            srtod_nn.reconstruction.UpBlock,
            srtod_nn.ThresholdGate,
            srtod_nn.DGFE,
            srtod_nn.DifferenceCue,
        ]
    )

    # 7. Export: say clearly when TensorRT is missing, before ultralytics switches to device 0 or pip.
    stock_export = Exporter.__call__

    def export(self, *args, **kwargs):
        srtod_export.check_export_backend(self)
        return stock_export(self, *args, **kwargs)

    export.__wrapped__ = stock_export
    Exporter.__call__ = export

    # 8. ONNX tracing: SR-TOD's optional second output and fixed output axes.
    _delegate(export_engine, "torch2onnx", srtod_export.torch2onnx)

    # 9. Released weights by bare name (ultralytics imports this function where it calls it, so one patch serves all).
    stock_attempt_download_asset = downloads.attempt_download_asset

    def attempt_download_asset(file, *args, **kwargs):
        found = resolve_weights(file)
        if found:
            return found
        typo = misspelled_weights(file)
        if typo and not (Path(ul_utils.SETTINGS["weights_dir"]) / str(file)).exists():
            raise FileNotFoundError(typo)
        # a path to a file of the user's (best.pt), not an asset to fetch into that path: nothing to download
        # (stock asks GitHub for its release list, which warns twice offline, then fails on the file)
        if Path(str(file)).name not in downloads.GITHUB_ASSETS_NAMES:
            missing = missing_path_message(file, ul_utils.SETTINGS["runs_dir"], ul_utils.SETTINGS["weights_dir"])
            if missing:
                raise FileNotFoundError(missing)
        try:
            return stock_attempt_download_asset(file, *args, **kwargs)
        except ConnectionError as e:  # offline: say which checkpoints need no download (still a ConnectionError)
            raise OfflineWeightsError(offline_weights_message(file)) from e

    attempt_download_asset.__wrapped__ = stock_attempt_download_asset
    downloads.attempt_download_asset = attempt_download_asset

    # 10. The tiny-target tracker (on_predict_start looks the YAML's tracker_type up in this dict).
    ul_track.TRACKER_MAP[TRACKER_TYPE] = SRTODByteTracker

    # 11. OpenVINO: SR-TOD's optional second output, and the gate in floating point under INT8 (imported by the
    # exporter at call time, so patching the module attribute is enough).
    _delegate(export_openvino, "torch2openvino", srtod_export_int8.torch2openvino)

    # 12. ONNX Runtime INT8: the gate in FP32.
    _delegate(export_onnx, "onnx_int8_quantize", srtod_export_int8.onnx_int8_quantize)

    # 13. OpenVINO inference: SR-TOD models in FP32, not the bfloat16 the CPU plugin picks on AMX/AVX512-BF16 CPUs.
    stock_load_openvino = OpenVINOBackend.load_model

    def load_openvino(self, weight):
        stock_load_openvino(self, weight)
        srtod_export_int8.compile_in_fp32(self, weight)

    load_openvino.__wrapped__ = stock_load_openvino
    OpenVINOBackend.load_model = load_openvino

    # 15. srtod-yolo's arguments checked in every mode (get_cfg calls the module's check_cfg at run time).
    def check_cfg(stock, cfg, hard=True):
        stock(cfg, hard)
        check_extra_args(cfg, hard)

    _delegate(ul_cfg, "check_cfg", check_cfg)


def _with_srtod_arguments(d: dict, ch: int) -> dict:
    """Rewrite SR-TOD rows of a model dict (a copy the parser owns) to `[ch, f, settings]`; validate the settings."""
    from ..nn import SRTOD_DEFAULTS
    from .model import LAYER_NAME

    rows = [row for row in d.get("backbone", []) + d.get("head", []) if row[2] == LAYER_NAME]
    if not rows:
        return d
    section = d.get("srtod") or {}
    unknown = sorted(set(section) - set(SRTOD_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown SR-TOD setting(s) {unknown} in the model YAML's 'srtod:' section; valid: {sorted(SRTOD_DEFAULTS)}"
        )
    for row in rows:
        overrides = row[3][0] if row[3] and isinstance(row[3][0], dict) else {}
        unknown = sorted(set(overrides) - set(SRTOD_DEFAULTS))
        if unknown:
            raise ValueError(f"unknown SR-TOD setting(s) {unknown} in the row {row}; valid: {sorted(SRTOD_DEFAULTS)}")
        if not isinstance(row[0], int):
            raise ValueError(f"an SR-TOD row reads one layer (the P2 output), but its 'from' is {row[0]!r}: {row}")
        # "ch" and "f" are names the stock parser resolves to its channel list and the row's input index.
        row[3] = ["ch", "f", {**SRTOD_DEFAULTS, **section, **overrides, "image_channels": ch}]
    return d
