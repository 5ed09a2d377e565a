"""The `srtod` command's arguments: a wrong name or a value of the wrong kind is one message naming the argument."""

import pytest

from srtod_yolo.cli import main, parse_args


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["synth", "out=x", "train=abc"], "train=abc: expected a whole number, e.g. train=1000"),
        (["synth", "out=x", "val=2.5"], "val=2.5: expected a whole number"),
        (["synth", "out=x", "seed=true"], "seed=true: expected a whole number"),  # YAML's true is not 1
        (["synth", "out=x", "workers=abc"], "workers=abc: expected auto or a whole number"),
        (["synth", "out=x", "workers=0"], "workers=0: expected auto or a whole number"),
        (["demo", "epochs=abc"], "epochs=abc: expected a whole number, e.g. epochs=3"),
        (["demo", "vid_stride=[2]"], r"vid_stride=\[2\]: expected a whole number"),
        (["convert", "dataset=halmstad", "raw=a", "out=b", "stride=x"], "stride=x: expected a whole number"),
        (["convert", "dataset=halmstad", "raw=a", "out=b", "val_every=1.5"], "val_every=1.5: expected a whole"),
        (["track-eval", "tracks=a", "gt=b", "frames=ten"], "frames=ten: expected a whole number"),
        (["val", "model=m.pt", "dta=d.yaml"], "unknown argument 'dta'; did you mean data=\\?"),
        (["val", "model=m.pt", "data=d.yaml", "bogus=1"], "unknown argument 'bogus'; valid: .* any `yolo val` arg"),
        (["demo", "epoch=2"], "unknown argument 'epoch'; did you mean epochs=\\?"),
    ],
)
def test_a_bad_argument_is_refused_by_name_before_any_work(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=message):
        main(argv)
    assert not any(tmp_path.iterdir())  # nothing made


def test_numbers_of_the_right_kind_and_yolo_arguments_pass():
    allowed = {"model": None, "epochs": 3, "lr": 0.1, "frames": None}
    a = parse_args(["epochs=5", "lr=1", "frames=10", "model=m.pt"], allowed, types={"frames": int})
    assert a == {"model": "m.pt", "epochs": 5, "lr": 1, "frames": 10}
    assert parse_args(["frames="], allowed)["frames"] is None  # an empty value: back to None, as before
    passed = parse_args(["model=m.pt", "batch=4", "conf=0.1", "save_json=True"], {"model": None}, extra=True)
    assert passed == {"model": "m.pt", "batch": 4, "conf": 0.1, "save_json": True}  # ultralytics checks their values
