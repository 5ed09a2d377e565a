"""srtod-yolo's own arguments (`EXTRA_ARGS`) are checked in every mode, as ultralytics checks its own."""

import subprocess
import sys
from pathlib import Path

import pytest
from ultralytics.cfg import get_cfg

from srtod_yolo.yolo.cli_errors import is_user_error
from srtod_yolo.yolo.hooks import EXTRA_ARGS, check_extra_args


@pytest.mark.parametrize(
    "key, value",
    [
        ("srtod_output", "diff"),
        ("save_diff", "yes"),
        ("save_tracks", 1),
        ("slice", "on"),
        ("slice_size", 16),
        ("slice_overlap", 1.5),
        ("slice_merge", "WBF"),
        ("slice_match_metric", "GIOU"),
        ("slice_batch", -1),
    ],
)
def test_a_wrong_value_fails_in_get_cfg_naming_the_argument(key, value):
    with pytest.raises(ValueError, match=key) as raised:
        get_cfg(overrides={key: value})  # every mode builds its arguments here
    assert is_user_error(raised.value)  # the `yolo` command prints it without a traceback


def test_none_is_refused_where_a_value_has_no_unset():
    check_extra_args({"save_diff": None, "srtod_output": None})  # read as False and none
    with pytest.raises(ValueError, match="slice_size=None"):
        get_cfg(overrides={"slice_size": None})


def test_defaults_and_valid_values_pass():
    cfg = get_cfg(overrides={"srtod_output": "Mask", "slice": True, "slice_merge": "nms", "slice_overlap": 0})
    assert cfg.srtod_output == "Mask" and cfg.slice is True  # checked, not rewritten
    check_extra_args(dict(EXTRA_ARGS))


def test_soft_checking_converts_flags_as_ultralytics_does():
    cfg = {"save_diff": 1, "slice": 0}
    check_extra_args(cfg, hard=False)
    assert cfg == {"save_diff": True, "slice": False}


def test_ultralytics_own_argument_checks_are_user_errors_and_other_errors_are_not():
    from ultralytics.cfg import check_dict_alignment
    from ultralytics.utils.checks import check_imgsz

    for call in (
        lambda: get_cfg(overrides={"conf": 1.5}),
        lambda: get_cfg(overrides={"batch": "abc"}),
        lambda: check_imgsz("six40"),
        lambda: check_dict_alignment({"conf": 0.25}, {"cnof": 0.3}),
    ):
        with pytest.raises((ValueError, TypeError, SyntaxError)) as raised:
            call()
        assert is_user_error(raised.value), raised.value
    # A caller's bug inside one of those checks names no argument: it keeps its traceback.
    with pytest.raises(TypeError) as raised:
        check_imgsz(640, stride=None)
    assert not is_user_error(raised.value)
    # The same error types raised by any other function, in ultralytics or elsewhere, stay bugs with a traceback.
    scope = {}
    exec(compile("def helper():\n    raise ValueError('a bug')", "/x/ultralytics/utils/ops.py", "exec"), scope)
    exec(compile("def check_cfg():\n    raise ValueError('a bug')", "/x/other/cfg.py", "exec"), scope)
    for name in ("helper", "check_cfg"):
        with pytest.raises(ValueError) as raised:
            scope[name]()
        assert not is_user_error(raised.value)


@pytest.mark.slow
def test_the_yolo_command_refuses_a_wrong_value_in_a_mode_that_does_not_read_it(env, tmp_path):
    yolo = str(Path(sys.executable).parent / "yolo")
    for arg, message in (("srtod_output=diff", "srtod_output='diff' is not valid"), ("conf=1.5", "'conf=1.5'")):
        proc = subprocess.run(
            [yolo, "predict", "model=yolov8n-p2.yaml", "source=nothing.png", arg, f"project={tmp_path}"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
