import json

import pytest
import torch

from genai import checkpoints, models
from genai.checkpoints import CheckpointError


def tiny_gan():
    return models.build("gan", preset="tiny")


def save_tiny(path, model=None):
    model = model or tiny_gan()
    return checkpoints.save(path, model.state_dict(), family="gan", config=models.config_dict(model), step=7,
                            dataset="digits", metrics={"fid": 1.5})


def test_round_trip(tmp_path):
    model = tiny_gan()
    path = save_tiny(tmp_path / "g", model)
    again, meta = models.from_checkpoint(path)
    assert meta["step"] == 7 and meta["metrics"] == {"fid": 1.5} and meta["family"] == "gan"
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    z = torch.randn(4, model.config.z_dim)
    model.eval()
    assert torch.equal(model.generate_from(z), again.generate_from(z))


def test_rewrite_merges_config_and_metrics_and_keeps_the_card(tmp_path):
    """What the benches' --write does: new figures and settings in, the rest of the card kept."""
    model = tiny_gan()
    path = checkpoints.save(tmp_path / "g", model.state_dict(), family="gan", config=models.config_dict(model),
                            step=7, dataset="digits", metrics={"fid": 1.5, "confident": 0.5},
                            extra={"train_seconds": 12.0})
    checkpoints.rewrite(path, config={"truncation": 0.7}, metrics={"fid": 1.2}, extra={"metrics_by": "a bench"})
    again, meta = models.from_checkpoint(path)
    assert again.config.truncation == 0.7 and again.config.z_dim == model.config.z_dim
    assert meta["metrics"] == {"fid": 1.2, "confident": 0.5} and meta["step"] == 7
    assert meta["train_seconds"] == 12.0 and meta["metrics_by"] == "a bench"
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k


def test_crash_mid_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = save_tiny(tmp_path / "g")
    before = path.read_bytes()

    def crash(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(checkpoints, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        save_tiny(tmp_path / "g")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.json", "g.safetensors"]  # no temp files left
    models.from_checkpoint(path)  # still loads


def corrupt(path, how):
    side = path.with_suffix(".json")
    if how == "no sidecar":
        side.unlink()
    elif how == "bad json":
        side.write_text("{not json")
    elif how == "foreign json":
        side.write_text(json.dumps({"model": "something else"}))
    elif how == "future version":
        meta = json.loads(side.read_text())
        side.write_text(json.dumps({**meta, "format_version": 99}))
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif how == "pickle":
        torch.save({"x": torch.zeros(3)}, path)  # a pickle under a .safetensors name
    elif how == "wrong shapes":
        meta = json.loads(side.read_text())
        meta["config"]["z_dim"] = 16
        side.write_text(json.dumps(meta))
    elif how == "not a dict config":
        meta = json.loads(side.read_text())
        meta["config"]["arch"] = "transformer"
        side.write_text(json.dumps(meta))


@pytest.mark.parametrize("how, says", [
    ("no sidecar", "sidecar"), ("bad json", "not valid JSON"), ("foreign json", "not a Generative AI Lab"),
    ("future version", "format version 99"), ("truncated", "damaged"), ("pickle", "damaged"),
    ("wrong shapes", "do not fit"), ("not a dict config", "does not build"),
])
def test_bad_files_refused(tmp_path, how, says):
    path = save_tiny(tmp_path / "g")
    corrupt(path, how)
    with pytest.raises(CheckpointError, match=says):
        models.from_checkpoint(path)


def test_wrong_family_refused(tmp_path):
    path = save_tiny(tmp_path / "g")
    with pytest.raises(CheckpointError, match="is a gan checkpoint, not a vae"):
        checkpoints.load(path, "vae")


def test_registry_lists_shipped_and_runs(tmp_path):
    save_tiny(tmp_path / "a" / "gan")
    names = [c.name for c in checkpoints.list_checkpoints("gan", runs_dir=tmp_path)]
    assert "runs/a/gan" in names
    (tmp_path / "junk.safetensors").write_bytes(b"junk")  # no sidecar: skipped, not a crash
    assert [c.name for c in checkpoints.list_checkpoints("gan", runs_dir=tmp_path)] == names


def test_weights_beside_an_older_sidecar_load_with_their_own_record(tmp_path):
    """A server killed between writing the weights and the sidecar: the weights carry a copy of
    their sidecar, which wins, and the sidecar on disk is mended."""
    path = tmp_path / "ck.safetensors"
    checkpoints.save(path, {"w": torch.zeros(3)}, family="gan", config={"z_dim": 8}, step=1)
    old_sidecar = path.with_suffix(".json").read_text()
    checkpoints.save(path, {"w": torch.ones(3)}, family="gan", config={"z_dim": 8}, step=2)
    path.with_suffix(".json").write_text(old_sidecar)  # as if killed before the second rename
    tensors, meta = checkpoints.load(path)
    assert float(tensors["w"][0]) == 1.0 and meta["step"] == 2
    assert checkpoints.read_meta(path)["step"] == 2
