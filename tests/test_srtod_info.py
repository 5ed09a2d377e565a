"""`srtod info`: what a new user reads to find the names to type."""

import re

from ultralytics.nn.tasks import yaml_model_load

from srtod_yolo.cli import main


def test_info_lists_model_names_with_their_scales_and_every_scale_loads(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    (models,) = [line.removeprefix("models: ") for line in out.splitlines() if line.startswith("models: ")]
    names = models.split(", ")
    assert "srtod-yolov8{n,s,m,l,x}-p2.yaml" in names and "nwd-yolov8{n,s,m,l,x}-p2.yaml" in names
    for name in names:
        for scale in "nslmx":  # what a user types after reading the line
            d = yaml_model_load(name.replace("{n,s,m,l,x}", scale))
            assert d["scale"] == scale and scale in d["scales"], name
    assert re.search(r"^trackers: .*srtod-bytetrack\.yaml", out, re.M)


def test_help_after_a_command_prints_the_usage_with_every_default(capsys, tmp_path):
    from srtod_yolo.cli import USAGE

    assert main(["synth", "--help"]) == 0 and capsys.readouterr().out.strip() == USAGE.strip()
    for line in USAGE.splitlines():  # every key=value the usage shows has a value
        for token in re.findall(r"(\w+)=(\S*)", line):
            assert token[1], f"{token[0]}= has no value in: {line}"
    args = [f"out={tmp_path / 's'}", "train=2", "val=1", "width=96", "height=96", "video=0", "workers=auto"]
    assert main(["synth", *args]) == 0  # the shown default is one synth takes
    assert (tmp_path / "s" / "data.yaml").is_file()
