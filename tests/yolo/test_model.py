import pytest
import torch
from ultralytics.nn.tasks import DetectionModel, yaml_model_load

from srtod_yolo.nn import SRTOD
from srtod_yolo.yolo import SRTODDetectionModel
from srtod_yolo.yolo.hooks import resolve_config

FAMILIES = {"srtod-yolov8{}-p2.yaml": "yolov8{}-p2.yaml", "srtod-yolo26{}-p2.yaml": "yolo26{}-p2.yaml"}


def test_model_yamls_resolve_by_name_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = yaml_model_load("srtod-yolo26s-p2.yaml")
    assert d["scale"] == "s" and "srtod" in d
    assert resolve_config("srtod-yolov8-p2.yaml").endswith("cfg/models/srtod-yolov8-p2.yaml")


@pytest.mark.parametrize("scale", "nsmlx")
@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_scale_builds_and_keeps_the_stock_layer_indices(family, scale):
    ours = SRTODDetectionModel(family.format(scale), nc=2, verbose=False)
    stock = DetectionModel(FAMILIES[family].format(scale), nc=2, verbose=False)
    (layer,) = ours.srtod_layers
    n_stock = len(stock.model)
    assert layer.i == n_stock - 1  # the SR-TOD row comes right after every stock row but Detect
    for i in range(n_stock - 1):
        assert type(ours.model[i]) is type(stock.model[i]), f"layer {i}"
        assert ours.model[i].f == stock.model[i].f
    assert ours.model[-1].f[0] == layer.i  # Detect reads P2'
    assert layer.f == stock.model[-1].f[0]  # SR-TOD reads the stock P2
    p2_width = stock.model[-1].cv2[0][0].conv.in_channels
    assert layer.c1 == p2_width and layer.reconstruction_head.widths == (p2_width // 2, p2_width // 4)
    assert torch.equal(ours.stride, stock.stride)


def _randomised(model: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(0)
    with torch.no_grad():
        for v in model.state_dict().values():
            if v.is_floating_point():
                v.copy_(torch.randn_like(v))
    return model


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_tensor_of_a_stock_p2_model_transfers(family):
    stock = _randomised(DetectionModel(FAMILIES[family].format("n"), nc=80, verbose=False))
    ours = SRTODDetectionModel(family.format("n"), nc=80, verbose=False)
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    ours.load({"model": stock}, verbose=False)
    after = ours.state_dict()
    srtod_i = ours.srtod_layers[0].i
    transferred = 0
    for key, value in stock.state_dict().items():
        index = int(key.split(".")[1])
        target = key if index < srtod_i else key.replace(f"model.{index}.", f"model.{index + 1}.", 1)
        assert torch.equal(after[target], value), key
        transferred += 1
    assert transferred == len(stock.state_dict())  # every shared tensor, the Detect head's included
    # the SR-TOD layer keeps its own initialisation
    assert all(torch.equal(after[k], before[k]) for k in before if k.startswith(f"model.{srtod_i}."))


def test_a_stock_non_p2_model_transfers_its_shared_layers():
    stock = _randomised(DetectionModel("yolov8n.yaml", nc=80, verbose=False))  # e.g. a COCO yolov8n.pt
    ours = SRTODDetectionModel("srtod-yolov8n-p2.yaml", nc=80, verbose=False)
    ours.load(stock, verbose=False)
    after = ours.state_dict()
    shared = [k for k in stock.state_dict() if int(k.split(".")[1]) <= 15]  # backbone + top-down P4/P3 path
    assert len(shared) > 200
    assert all(torch.equal(after[k], stock.state_dict()[k]) for k in shared)


def test_loss_adds_the_weighted_reconstruction_term_as_rec_loss():
    model = SRTODDetectionModel("srtod-yolov8n-p2.yaml", nc=1, verbose=False)
    model.args = __import__("ultralytics").cfg.get_cfg()
    torch.manual_seed(0)
    batch = {
        "img": torch.rand(2, 3, 64, 64),
        "batch_idx": torch.tensor([0.0, 1.0]),
        "cls": torch.zeros(2, 1),
        "bboxes": torch.tensor([[0.5, 0.5, 0.1, 0.1], [0.3, 0.3, 0.05, 0.05]]),
    }
    loss, items = model.loss(batch)
    assert list(items) == ["box_loss", "cls_loss", "dfl_loss", "rec_loss"]
    layer = model.srtod_layers[0]
    assert layer.last == {}  # released after the loss
    assert loss.shape == (4,) and loss[3].item() == pytest.approx(items["rec_loss"].item() * 2, rel=1e-5)
    loss.sum().backward()
    assert layer.reconstruction_head.out.weight.grad.abs().sum() > 0  # the MSE trains the head
    assert model.model[0].conv.weight.grad.abs().sum() > 0  # and, as in the official code, the backbone
    layer.rec_weight = 0.0
    model.zero_grad()
    assert model.loss(batch)[1]["rec_loss"].item() == 0.0


def test_yolo26_end_to_end_loss_has_rec_loss():
    model = SRTODDetectionModel("srtod-yolo26n-p2.yaml", nc=1, verbose=False)
    model.args = __import__("ultralytics").cfg.get_cfg()
    batch = {
        "img": torch.rand(1, 3, 64, 64),
        "batch_idx": torch.zeros(1),
        "cls": torch.zeros(1, 1),
        "bboxes": torch.tensor([[0.5, 0.5, 0.1, 0.1]]),
    }
    loss, items = model.loss(batch)
    assert "rec_loss" in items and torch.isfinite(loss).all()


def _yaml_with(**srtod) -> dict:
    d = yaml_model_load("srtod-yolov8n-p2.yaml")
    d["srtod"] = {**d["srtod"], **srtod}
    return d


def test_settings_travel_from_the_yaml_into_the_layer():
    model = SRTODDetectionModel(
        _yaml_with(
            threshold_mode="sign", resize="maxpool", head="shuffle", widths=[24, 12], threshold=0.05, enhance="residual"
        ),
        verbose=False,
    )
    s = model.srtod_settings
    assert (s["threshold_mode"], s["resize"], s["head"], s["widths"]) == ("sign", "maxpool", "shuffle", [24, 12])
    assert s["enhance"] == "residual" and model.srtod_layers[0].dgfe.enhance == "residual"
    assert s["threshold"] == pytest.approx(0.05)


@pytest.mark.parametrize(
    "srtod, message",
    [
        ({"threshold": 1.5}, "out of range"),
        ({"threshold_mode": "learned"}, "unknown threshold mode"),
        ({"resize": "bicubic"}, "unknown mask resize mode"),
        ({"enhance": "add"}, "unknown DGFE enhance mode"),
        ({"tresh": 0.1}, "unknown SR-TOD setting"),
    ],
)
def test_bad_yaml_settings_get_clear_errors(srtod, message):
    with pytest.raises(ValueError, match=message):
        SRTODDetectionModel(_yaml_with(**srtod), verbose=False)


def test_srtod_on_a_model_without_p2_gets_a_clear_error():
    d = yaml_model_load("yolov8n.yaml")  # P3-P5 only
    d["head"].insert(-1, [15, 1, "SRTOD", []])  # on P3/8
    d["head"][-1][0] = [22, 18, 21]
    with pytest.raises(ValueError, match="stride-4 feature map P2"):
        SRTODDetectionModel(d, verbose=False)


def test_images_smaller_than_the_stride_get_a_clear_error():
    model = SRTODDetectionModel("srtod-yolov8n-p2.yaml", verbose=False).eval()
    with pytest.raises(ValueError, match="smaller than the model stride 32"):
        model(torch.rand(1, 3, 16, 16))


def test_grayscale_tensor_into_an_rgb_model_gets_a_clear_error():
    model = SRTODDetectionModel("srtod-yolov8n-p2.yaml", verbose=False).eval()
    with pytest.raises(ValueError, match="takes 3-channel images, got 1.*grayscale or thermal"):
        model(torch.rand(1, 1, 64, 64))


def test_a_single_channel_model_rebuilds_single_channel_images():
    model = SRTODDetectionModel("srtod-yolov8n-p2.yaml", ch=1, verbose=False).eval()
    assert model.srtod_layers[0].reconstruction_head.out.out_channels == 1
    assert model(torch.rand(1, 1, 64, 64))[0].shape[0] == 1


def test_layers_are_found_as_srtod_modules():
    model = SRTODDetectionModel("srtod-yolov8s-p2.yaml", verbose=False)
    assert all(isinstance(m, SRTOD) for m in model.srtod_layers)


def test_the_border_margin_travels_from_the_yaml_through_a_checkpoint(tmp_path):
    from ultralytics.nn.tasks import load_checkpoint

    model = SRTODDetectionModel(_yaml_with(border=8), verbose=False)
    assert model.srtod_settings["border"] == 8
    torch.save({"model": model, "train_args": {}}, tmp_path / "border.pt")
    loaded, _ = load_checkpoint(tmp_path / "border.pt")
    assert loaded.srtod_settings["border"] == 8 and loaded.srtod_layers[0].border == 8
    with pytest.raises(ValueError, match="border must be a whole number of pixels"):
        SRTODDetectionModel(_yaml_with(border=-4), verbose=False)


@pytest.mark.parametrize(
    "typo, meant",
    [
        ("srtod-yolov8n-p3.yaml", "srtod-yolov8n-p2.yaml"),  # the scale letter the user typed is kept
        ("srtod-yolo26s-p3.yaml", "srtod-yolo26s-p2.yaml"),
        ("srtod-rt-yolov8m-p2.yml", "srtod-rt-yolov8m-p2.yaml"),
        ("srtod-yolov8-p3.yaml", "srtod-yolov8-p2.yaml"),  # a family name without a scale stays one
        ("srtod-bytetrak.yaml", "srtod-bytetrack.yaml"),
    ],
)
def test_a_misspelled_shipped_yaml_name_says_which_names_exist(typo, meant, tmp_path, monkeypatch):
    from ultralytics.utils.checks import check_yaml

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=f"does not exist.*Did you mean {meant}.*srtod info"):
        yaml_model_load(typo) if "yolo" in typo else check_yaml(typo)


def test_a_misspelled_dataset_name_says_which_names_exist(tmp_path, monkeypatch):
    from ultralytics.data.utils import check_det_dataset

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="Did you mean droneswarms-synth.yaml"):
        check_det_dataset("droneswarms-synt.yaml")


def test_the_shipped_fuse_yaml_starts_as_the_stock_model_it_loads():
    """`srtod-fuse-yolov8n-p2.yaml`: the learned cue (zero-init fusion), so stock weights give stock detections."""
    torch.manual_seed(1)
    stock = DetectionModel("yolov8n-p2.yaml", nc=4, verbose=False).eval()  # its own random initialisation
    fuse = SRTODDetectionModel("srtod-fuse-yolov8n-p2.yaml", nc=4, verbose=False)
    assert fuse.srtod_settings["enhance"] == "fuse" and fuse.srtod_layers[0].dgfe is None
    fuse.load({"model": stock}, verbose=False)
    fuse.eval()
    image = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(fuse(image)[0], stock(image)[0])  # the zero-init cue adds exactly nothing at step 0
        fuse.srtod_layers[0].cue.fuse.bias.fill_(0.5)  # and a trained cue does change the detections
        assert not torch.equal(fuse(image)[0], stock(image)[0])
