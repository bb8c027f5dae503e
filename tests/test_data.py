import gzip
import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from genai import data
from genai.data import DataError


def test_digits_offline(digits):
    assert digits.train_x.shape[1:] == (1, 28, 28) and digits.train_x.dtype == torch.uint8
    assert len(digits.train_x) + len(digits.heldout_x) == 1797 and len(digits.heldout_x) == 360
    assert set(digits.train_y.tolist()) == set(range(10))
    x, y = digits.batch(16, torch.Generator().manual_seed(0))
    assert x.shape == (16, 1, 28, 28) and 0 <= x.min() and x.max() <= 1 and y.shape == (16,)
    # MNIST convention: white ink on black, at most 20 pixels tall, centre of mass in the middle
    img = digits.train_x[0, 0].float()
    rows = img.sum(1).nonzero()
    assert img.max() > 200 and img[0].sum() == 0 and rows.max() - rows.min() < 20
    cy = (img.sum(1) * torch.arange(28)).sum() / img.sum()
    cx = (img.sum(0) * torch.arange(28)).sum() / img.sum()
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1


def write_idx(folder, n=50, gz=True):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    blobs = {"t10k-images-idx3-ubyte": bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in (n, 28, 28)) + imgs.tobytes(),
             "t10k-labels-idx1-ubyte": bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + labels.tobytes()}
    folder.mkdir(parents=True)
    for name, blob in blobs.items():
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(blob) if gz else blob)
    return imgs, labels


def test_idx_test_split_folder(tmp_path, monkeypatch):
    imgs, labels = write_idx(tmp_path / "mnist")
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))
    ds = data.load_mnist_like("mnist")
    assert len(ds.train_x) == 40 and len(ds.heldout_x) == 10  # 80/20 held-out split
    assert torch.equal(ds.heldout_x[:, 0], torch.from_numpy(imgs[40:]))
    assert ds.heldout_y.tolist() == labels[40:].tolist()


def test_on_disk_says_whether_a_data_set_loads_without_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))
    assert data.on_disk("digits") and not data.on_disk("mnist") and data.default_images() == "mnist"
    write_idx(tmp_path / "mnist")
    assert data.on_disk("mnist") and not data.on_disk("kmnist")
    monkeypatch.delenv("GENAI_DATA_DIR")
    assert data.default_images() == "digits"


def test_truncated_idx_refused(tmp_path, monkeypatch):
    write_idx(tmp_path / "mnist", gz=False)
    p = tmp_path / "mnist" / "t10k-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:1000])
    with pytest.raises(DataError, match="truncated"):
        data.read_idx(p)


def test_shared_mnist_and_kmnist(shared_data):
    mn = data.load_mnist_like("mnist")
    assert (len(mn.train_x), len(mn.heldout_x)) == (8000, 2000)
    km = data.load_mnist_like("kmnist")  # the .npz files
    assert (len(km.train_x), len(km.heldout_x)) == (8000, 2000) and km.train_x.dtype == torch.uint8


def test_kmnist_npz(tmp_path, monkeypatch):
    folder = tmp_path / "kmnist"
    folder.mkdir()
    np.savez(folder / "kmnist-test-imgs.npz", np.zeros((20, 28, 28), np.uint8))
    np.savez(folder / "kmnist-test-labels.npz", np.arange(20) % 10)
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))
    assert len(data.load_mnist_like("kmnist").heldout_x) == 4


def test_no_data_names_both_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("GENAI_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(data, "_download_torchvision", lambda name: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(DataError) as e:
        data.load_mnist_like("fashion-mnist")
    assert "GENAI_DATA_DIR" in str(e.value) and "download" in str(e.value)


def png_digit(dark_on_light=True) -> bytes:
    img = Image.new("L", (100, 120), 255 if dark_on_light else 0)
    ImageDraw.Draw(img).ellipse((30, 20, 70, 100), outline=0 if dark_on_light else 255, width=8)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_user_images_files_and_zip(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(png_digit(True))
    b.write_bytes(png_digit(False))
    z = tmp_path / "more.zip"
    with zipfile.ZipFile(z, "w") as f:
        for i in range(8):
            f.writestr(f"d/{i}.png", png_digit(i % 2 == 0))
        f.writestr("readme.txt", "not an image, ignored")
    ds = data.load_user_images([a, b, z])
    assert len(ds.train_x) + len(ds.heldout_x) == 10 and len(ds.heldout_x) == 1
    allx = torch.cat([ds.train_x, ds.heldout_x]).float()
    assert allx[:, :, 0, :].sum() == 0  # background black whichever way it was drawn
    assert (allx.amax((1, 2, 3)) > 200).all()  # white ink
    assert (ds.train_y == -1).all()


def test_bad_upload_refused(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    good = tmp_path / "g.png"
    good.write_bytes(png_digit())
    with pytest.raises(DataError, match="notes.png is not a readable image"):
        data.load_user_images([good, bad])
    with pytest.raises(DataError, match="at least two images"):
        data.load_user_images([good])


def test_user_text_guards():
    with pytest.raises(DataError, match="not UTF-8"):
        data.load_user_text(b"caf\xe9 " * 1000)
    with pytest.raises(DataError, match="too short"):
        data.load_user_text("hello")
    with pytest.raises(DataError, match="larger than"):
        data.load_user_text(b"a" * (data.MAX_TEXT_BYTES + 1))
    td = data.load_user_text("x" * 900 + "y" * 1100)
    assert td.train == "x" * 900 + "y" * 900 and td.heldout == "y" * 200


def test_shakespeare_from_data_dir(shared_data):
    td = data.load_text("tinyshakespeare")
    assert td.train.startswith("First Citizen") and len(td.heldout) == 1115394 - int(1115394 * 0.9)
