"""Data sets, as a registry the UI lists.

Image sets come back as uint8 tensors (N, 1, 28, 28), white digits on black, with labels (N,)
(-1 where there are none), split into ``train`` and ``heldout``; metrics are always reported on
``heldout``. Text sets come back as two strings, train and held-out (the last 10%).

Where the files come from, in order: ``GENAI_DATA_DIR`` (or the ``data_dir`` argument), then the
download cache, then torchvision's / the corpus URL's download when online. Offline with no files
gives a ``DataError`` that names both ways to get the data.
"""
from __future__ import annotations

import gzip
import io
import os
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from genai.locales import said

CACHE = Path(os.environ.get("GENAI_CACHE", Path.home() / ".cache" / "genai"))
SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"

MAX_UPLOAD_IMAGES = 20_000
MAX_UPLOAD_BYTES = 50 * 2**20
MAX_TEXT_BYTES = 5 * 2**20
MIN_TEXT_CHARS = 2_000


class DataError(ValueError):
    """Bad or missing data; the message is meant for the person who asked."""


@dataclass
class ImageData:
    name: str
    train_x: torch.Tensor  # (N, 1, 28, 28) uint8
    train_y: torch.Tensor  # (N,) int64, -1 if unlabelled
    heldout_x: torch.Tensor
    heldout_y: torch.Tensor
    classes: list[str] = field(default_factory=lambda: [str(i) for i in range(10)])

    def batch(self, batch_size: int, generator: torch.Generator, split: str = "train"):
        """A random minibatch: images as float in [0, 1], and labels."""
        x, y = (self.train_x, self.train_y) if split == "train" else (self.heldout_x, self.heldout_y)
        idx = torch.randint(len(x), (batch_size,), generator=generator)
        return x[idx].float().div_(255), y[idx]

    def heldout_float(self, n: int | None = None):
        x, y = self.heldout_x[:n], self.heldout_y[:n]
        return x.float().div_(255), y


@dataclass
class TextData:
    name: str
    train: str
    heldout: str


@dataclass
class DatasetInfo:
    name: str
    kind: str  # "image" or "text"
    description: str


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo("digits", "image", "1,797 handwritten digits (scikit-learn, 8x8 brought to 28x28); works offline"),
        DatasetInfo("mnist", "image", "MNIST handwritten digits, 28x28"),
        DatasetInfo("fashion-mnist", "image", "Fashion-MNIST clothing, 28x28"),
        DatasetInfo("kmnist", "image", "Kuzushiji-MNIST classical Japanese characters, 28x28"),
        DatasetInfo("tinyshakespeare", "text", "Tiny Shakespeare, 1.1 M characters"),
    ]
}
FASHION_CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def image_datasets() -> list[str]:
    return [n for n, d in DATASETS.items() if d.kind == "image"]


def default_images() -> str:
    """The image tabs' data set when the page opens: MNIST where a data folder is set, else the
    digits that ship with scikit-learn (offline)."""
    return "mnist" if os.environ.get("GENAI_DATA_DIR") else "digits"


def on_disk(name: str) -> bool:
    """Whether ``load_images(name)`` reads local files (or needs none), without downloading."""
    if name == "digits":
        return True
    return any(folder.is_dir() and _split_paths(folder, name, split)
               for folder in _candidates(name, None) for split in ("train", "test"))


def data_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    dirs = [data_dir, os.environ.get("GENAI_DATA_DIR")]
    return [Path(d) for d in dirs if d] + [CACHE]


def _split(x: np.ndarray, y: np.ndarray, name: str, heldout: int, classes=None) -> ImageData:
    """Hold out the last ``heldout`` images (the files are already in random order)."""
    x = torch.from_numpy(np.array(x, dtype=np.uint8)).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(np.asarray(y, dtype=np.int64))
    kw = {"classes": classes} if classes else {}
    return ImageData(name, x[:-heldout], y[:-heldout], x[-heldout:], y[-heldout:], **kw)


# ---------------------------------------------------------------- MNIST-like sets
def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzipped or not): big-endian magic, dims, then uint8 data."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path.name} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path.name} is truncated: {data.size} bytes of data, header says {int(np.prod(dims))}")
    return data.reshape(dims)


IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
NPZ_NAMES = {"train": ("kmnist-train-imgs.npz", "kmnist-train-labels.npz"),
             "test": ("kmnist-test-imgs.npz", "kmnist-test-labels.npz")}


def _find(folder: Path, stem: str) -> Path | None:
    for cand in (stem, stem + ".gz"):
        for sub in ("", "raw"):
            p = folder / sub / cand
            if p.is_file():
                return p
    return None


def _split_paths(folder: Path, name: str, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of one split in ``folder``, or None."""
    if name == "kmnist":
        imgs, labs = (folder / f for f in NPZ_NAMES[split])
        if imgs.is_file() and labs.is_file():
            return imgs, labs
    imgs, labs = _find(folder, IDX_NAMES[split][0]), _find(folder, IDX_NAMES[split][1])
    return (imgs, labs) if imgs and labs else None


def _read_split_files(folder: Path, name: str):
    """Return a list of (images, labels) splits found in ``folder``; train split first."""
    found = []
    for split in ("train", "test"):
        paths = _split_paths(folder, name, split)
        if paths and paths[0].suffix == ".npz":
            found.append(tuple(np.load(p)["arr_0"] for p in paths))
        elif paths:
            found.append((read_idx(paths[0]), read_idx(paths[1])))
    return found


def _candidates(name: str, data_dir) -> list[Path]:
    subs = {"mnist": ["mnist", "MNIST"], "fashion-mnist": ["fashion-mnist", "FashionMNIST"], "kmnist": ["kmnist", "KMNIST"]}[name]
    out = []
    for d in data_dirs(data_dir):
        out += [d / s for s in subs]
        if d != CACHE and d.name.lower().replace("_", "-") in {s.lower() for s in subs}:
            out.append(d)
    return out


def _download_torchvision(name: str):
    """Online path: torchvision's dataset classes download into the cache."""
    from torchvision import datasets

    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "kmnist": datasets.KMNIST}[name]
    root = CACHE / "torchvision"
    splits = []
    for train in (True, False):
        ds = cls(str(root), train=train, download=True)
        splits.append((ds.data.numpy(), ds.targets.numpy()))
    return splits


def load_mnist_like(name: str, data_dir=None) -> ImageData:
    splits = []
    for folder in _candidates(name, data_dir):
        if folder.is_dir():
            splits = _read_split_files(folder, name)
            if splits:
                break
    if not splits:
        try:
            splits = _download_torchvision(name)
        except Exception as e:  # offline, or the mirror is down
            raise DataError(
                f"No {name} data found. Either set GENAI_DATA_DIR to a folder holding the "
                f"{name} files (IDX files such as t10k-images-idx3-ubyte.gz, or KMNIST's .npz files; "
                f"the test split alone is enough), or go online so torchvision can download it "
                f"into {CACHE / 'torchvision'}. (Download failed: {type(e).__name__})"
            ) from None
    classes = FASHION_CLASSES if name == "fashion-mnist" else None
    if len(splits) == 2:  # a real train/test pair: hold out 2,000 test digits
        (trx, try_), (tex, tey) = splits
        x, y = np.concatenate([trx, tex[:-2000]]), np.concatenate([try_, tey[:-2000]])
        return _split(np.concatenate([x, tex[-2000:]]), np.concatenate([y, tey[-2000:]]), name, 2000, classes)
    x, y = splits[0]
    return _split(x, y, name, max(len(x) // 5, 1), classes)  # the test split alone: 8,000 / 2,000


# ---------------------------------------------------------------- digits (offline)
def to_mnist_box(img: np.ndarray) -> np.ndarray:
    """MNIST's convention: fit the ink into a 20x20 box keeping its aspect, then place it in
    28x28 so its centre of mass sits at the centre. ``img`` is float, ink high, any size."""
    img = np.asarray(img, np.float32)
    ys, xs = np.nonzero(img > 0.05 * img.max()) if img.max() > 0 else ([], [])
    if len(ys) == 0:
        return np.zeros((28, 28), np.uint8)
    crop = img[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    crop = crop / crop.max() * 255.0
    small = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize((nw, nh), Image.BILINEAR))
    small = np.clip(small, 0, 255)
    canvas = np.zeros((28, 28), np.float32)
    top, left = (28 - nh) // 2, (28 - nw) // 2
    canvas[top: top + nh, left: left + nw] = small
    # shift so the centre of mass lands on (14, 14), as MNIST was made
    total = canvas.sum()
    cy = (canvas.sum(1) * np.arange(28)).sum() / total
    cx = (canvas.sum(0) * np.arange(28)).sum() / total
    dy, dx = int(round(13.5 - cy)), int(round(13.5 - cx))
    canvas = np.roll(canvas, (dy, dx), axis=(0, 1))
    return canvas.round().astype(np.uint8)


def load_digits() -> ImageData:
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = np.stack([to_mnist_box(im) for im in d.images])
    rng = np.random.default_rng(0)  # sklearn's order is by writer; shuffle once, fixed
    order = rng.permutation(len(x))
    return _split(x[order], d.target[order], "digits", 360)


# ---------------------------------------------------------------- user images
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


# pixels one uploaded image may have: a digit needs 28x28, and a phone photo of one about 12 M;
# far below Pillow's own bomb limit (89 M), which still let 16 images of 12000x12000 cost 35 s
MAX_IMAGE_PIXELS = 25_000_000
DECODE_SIDE = 256  # a JPEG is decoded at a reduced scale (Image.draft) down to about this size


def _image_to_28(data: bytes, label: str) -> np.ndarray:
    try:
        im = Image.open(io.BytesIO(data))  # reads the header only: the size is known before any decoding
        if im.width * im.height > MAX_IMAGE_PIXELS:
            raise said(DataError, "err.image_too_many_pixels", name=label, w=im.width, h=im.height,
                       most=f"{MAX_IMAGE_PIXELS:,}")
        im.draft("L", (DECODE_SIDE, DECODE_SIDE))  # JPEG: decode at 1/2-1/8 scale; other formats ignore it
        im.load()
    except DataError:
        raise
    except Image.DecompressionBombError:
        raise said(DataError, "err.image_bomb", name=label) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise said(DataError, "err.image_unreadable", name=label, why=type(e).__name__) from None
    if max(im.size) > DECODE_SIDE:  # what draft could not shrink: to the size the 28x28 box needs
        im = im.convert("L")
        im.thumbnail((DECODE_SIDE, DECODE_SIDE))
    g = np.asarray(im.convert("L"), np.float32) / 255.0
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if border.mean() > 0.5:  # dark ink on a light page: invert to MNIST's white on black
        g = 1.0 - g
    return to_mnist_box(g)


def _zip_images(p: Path, total: int, already: int) -> list[tuple[str, bytes]]:
    """The images of an uploaded zip, each read whole; a damaged zip, an encrypted member or an
    unsupported compression is a message naming the upload and the member, not zipfile's own."""
    items, member = [], ""
    try:
        with zipfile.ZipFile(p) as z:
            for info in z.infolist():
                member = info.filename
                if info.is_dir() or Path(info.filename).suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                if info.flag_bits & 0x1:
                    raise said(DataError, "err.zip_member", name=p.name, member=member, why="encrypted")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise said(DataError, "err.zip_member", name=p.name, member=member,
                               why=f"compression method {info.compress_type} (only stored or deflated)")
                total += info.file_size
                if total > MAX_UPLOAD_BYTES or already + len(items) >= MAX_UPLOAD_IMAGES:
                    raise said(DataError, "err.zip_too_large", mb=MAX_UPLOAD_BYTES // 2**20, n=MAX_UPLOAD_IMAGES)
                items.append((f"{p.name}:{info.filename}", z.read(info)))
    except DataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError, UnicodeDecodeError) as e:  # a bad CRC, a corrupt deflate stream, a cut file
        why = ("a checksum does not match" if "CRC" in str(e) else
               "its compressed data is damaged" if isinstance(e, (zlib.error, EOFError)) else
               "it is not a complete zip file" if isinstance(e, zipfile.BadZipFile) else type(e).__name__)
        raise said(DataError, "err.zip_member", name=p.name, member=member or "?", why=why) from None
    return items


def load_user_images(paths: list[str | os.PathLike], name: str = "uploaded") -> ImageData:
    """Images the user gave: several image files, or zips of them. Grayscale, 28x28, white on
    black. Refuses non-images, empty sets and oversized uploads with a clear message."""
    items: list[tuple[str, bytes]] = []
    total = 0
    for p in map(Path, paths or []):
        total += p.stat().st_size
        if total > MAX_UPLOAD_BYTES:
            raise said(DataError, "err.upload_too_large", mb=MAX_UPLOAD_BYTES // 2**20)
        if zipfile.is_zipfile(p):
            new = _zip_images(p, total, len(items))
            items += new
            total += sum(len(data) for _, data in new)
        else:
            items.append((p.name, p.read_bytes()))
    if len(items) < 2:
        raise said(DataError, "err.two_images")
    x = np.stack([_image_to_28(data, label) for label, data in items])
    order = np.random.default_rng(0).permutation(len(x))
    return _split(x[order], np.full(len(x), -1), name, max(1, len(x) // 10))


# ---------------------------------------------------------------- text
def split_text(text: str, name: str) -> TextData:
    cut = int(len(text) * 0.9)
    return TextData(name, text[:cut], text[cut:])


def load_text(name: str = "tinyshakespeare", data_dir=None) -> TextData:
    if name != "tinyshakespeare":
        raise said(DataError, "err.unknown_corpus", name=repr(name))
    for d in data_dirs(data_dir):
        for p in (d / "tinyshakespeare" / "input.txt", d / "input.txt"):
            if p.is_file():
                return split_text(p.read_text("utf-8"), name)
    dest = CACHE / "tinyshakespeare" / "input.txt"
    try:
        with urllib.request.urlopen(SHAKESPEARE_URL, timeout=10) as r:
            text = r.read().decode("utf-8")
    except Exception as e:
        raise DataError(
            "Tiny Shakespeare not found. Either set GENAI_DATA_DIR to a folder holding "
            "tinyshakespeare/input.txt, or go online so it can be downloaded from "
            f"{SHAKESPEARE_URL}. (Download failed: {type(e).__name__})"
        ) from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, dest)
    return split_text(text, name)


def load_user_text(text: str | bytes, name: str = "your text") -> TextData:
    if isinstance(text, bytes):
        if len(text) > MAX_TEXT_BYTES:
            raise said(DataError, "err.text_too_large", mb=MAX_TEXT_BYTES // 2**20)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise said(DataError, "err.text_not_utf8", at=e.start) from None
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise said(DataError, "err.text_too_large", mb=MAX_TEXT_BYTES // 2**20)
    if len(text) < MIN_TEXT_CHARS:
        raise said(DataError, "err.text_too_short", n=len(text), least=MIN_TEXT_CHARS)
    return split_text(text, name)


# ---------------------------------------------------------------- one entry point
_IMAGE_CACHE: dict[tuple, ImageData] = {}


def load_images(name: str, data_dir=None) -> ImageData:
    """Load an image data set by registry name (cached in memory: they are small)."""
    key = (name, str(data_dir or os.environ.get("GENAI_DATA_DIR", "")))
    if key not in _IMAGE_CACHE:
        if name == "digits":
            _IMAGE_CACHE[key] = load_digits()
        elif name in ("mnist", "fashion-mnist", "kmnist"):
            _IMAGE_CACHE[key] = load_mnist_like(name, data_dir)
        else:
            raise said(DataError, "err.unknown_images", name=repr(name), choices=", ".join(image_datasets()))
    return _IMAGE_CACHE[key]
