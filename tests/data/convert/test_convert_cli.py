"""`srtod convert`: the converters from the command line, with the per-split summary of what was skipped and why."""

from pathlib import Path

import pytest
from conftest import run
from test_convert_halmstad import CLIPS, write_clip

from srtod_yolo.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_srtod_convert_visdrone_prints_the_summary(tmp_path, env):
    out = run(
        ["srtod", "convert", "dataset=visdrone", f"raw={FIXTURES / 'visdrone'}", f"out={tmp_path / 'vd'}", "mode=copy"],
        cwd=tmp_path,
        env=env,
    ).stdout.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("converted visdrone"))  # after ultralytics' notes
    assert out[start + 1 :] == [
        "  train: 2 images, 3 boxes, 3 ignore regions; skipped: 1 image without annotation file, 1 unknown category 12",
        "  val: 1 images, 1 boxes, 0 ignore regions; skipped: nothing",
        "  splits found: train, val",
        "  data.yaml train: images/train",
        "  data.yaml val: images/val",
    ]
    assert (tmp_path / "vd" / "data.yaml").is_file()
    assert not (tmp_path / "vd" / "images" / "val" / "0000001_02999_d_0000005.jpg").is_symlink()  # mode=copy


def test_srtod_convert_droneswarms_and_aitod(tmp_path, capsys):
    assert main(["convert", "dataset=droneswarms", f"raw={FIXTURES / 'droneswarms'}", f"out={tmp_path / 'ds'}"]) == 0
    out = capsys.readouterr().out
    assert "train: 2 images, 2 boxes, 1 ignore regions; skipped: 1 flagged ignore, 1 image file missing" in out
    assert main(["convert", "dataset=aitod", f"raw={FIXTURES / 'aitod'}", f"out={tmp_path / 'ai'}"]) == 0
    assert "test: 1 images, 0 boxes" in capsys.readouterr().out


def test_srtod_convert_halmstad_takes_stride_and_val_every(tmp_path, capsys):
    raw = tmp_path / "raw"
    for name, (frames, width, height) in CLIPS.items():
        write_clip(raw / "Data" / f"{name}.mp4", frames, width, height)
    for csv in (FIXTURES / "halmstad").rglob("*.csv"):
        (raw / csv.parent.name).mkdir(exist_ok=True)
        (raw / csv.parent.name / csv.name).write_bytes(csv.read_bytes())
    main(["convert", "dataset=halmstad", f"raw={raw}", f"out={tmp_path / 'h'}", "stride=1", "val_every=0"])
    out = capsys.readouterr().out
    assert "train: 11 images, 11 boxes" in out and "1 clip without label file" in out
    assert "val_clips=halmstad-drone-val-clips.txt" not in out  # val_every=0: no val split to warn about
    main(["convert", "dataset=halmstad", f"raw={raw}", f"out={tmp_path / 'e'}", "stride=1", "val_every=2"])
    out = capsys.readouterr().out
    assert "val: one clip in 2 of each sensor and class (val_every=2), which can hold the released" in out
    assert "convert with val_clips=halmstad-drone-val-clips.txt" in out
    (tmp_path / "val.txt").write_text("IR_DRONE_002\n")
    main(["convert", "dataset=halmstad", f"raw={raw}", f"out={tmp_path / 'v'}", f"val_clips={tmp_path / 'val.txt'}"])
    out = capsys.readouterr().out
    assert (
        "val: 1 images, 1 boxes" in out
        and "which can hold" not in out
        and sorted(p.name for p in (tmp_path / "v" / "images" / "val").iterdir()) == ["IR_DRONE_002_00000.png"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dataset=visdrone", "raw=/no/such/dir", "out=x"], "srtod convert: VisDrone folder not found: '/no/such/dir'"),
        (["dataset=coco", "raw=a", "out=b"], "unknown dataset 'coco'; valid: droneswarms, aitod, visdrone, halmstad"),
        (["dataset=visdrone"], "raw, out missing"),
        (["dataset=aitod", "raw=a", "out=b", "stride=5"], "stride= only work with dataset=halmstad"),
        (["dataset=aitod", "raw=a", "size=5"], "unknown argument 'size'"),
        (["dataset=halmstad", "raw=a", "out=b", "val_every=2", "val_clips=v.txt"], "give val_every= or val_clips="),
        (["dataset=halmstad", "raw=a", "out=b", "val_clips=v.txt"], "srtod convert: Halmstad clip list 'v.txt' not"),
    ],
)
def test_srtod_convert_refuses_bad_arguments_with_a_clear_message(args, message):
    with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")):
        main(["convert", *args])
