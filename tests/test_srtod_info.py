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
