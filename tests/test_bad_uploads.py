"""Training uploads that are bad input (issue 30): an image with far too many pixels is refused from
its header before any decoding, a large photo is decoded at reduced size, and a damaged, encrypted
or oddly compressed zip gets a message naming the upload and the member, not zipfile's own."""
import io
import zipfile

import pytest
from PIL import Image, ImageDraw

from genai import data


def png(size=(28, 28), colour=0) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, colour).save(buf, "PNG")
    return buf.getvalue()


def zipped(path, members, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return str(path)


def test_an_image_with_too_many_pixels_is_refused_from_its_header(tmp_path):
    bomb = zipped(tmp_path / "big.zip", {f"d{i}.png": png((12000, 12000)) for i in range(4)})
    with pytest.raises(data.DataError, match=r"big.zip:d0.png is 12000x12000 pixels, more than 25,000,000"):
        data.load_user_images([bomb])


def test_a_large_photo_of_a_digit_is_read_at_reduced_size(tmp_path):
    photo = Image.new("L", (4000, 3000), 255)
    ImageDraw.Draw(photo).line([(2000, 500), (2000, 2500)], fill=0, width=200)  # a dark "1" on paper
    paths = []
    for name in ("a.jpg", "b.jpg"):
        photo.save(tmp_path / name, quality=90)
        paths.append(tmp_path / name)
    x = data.load_user_images(paths).train_x.float()
    assert x.shape[-2:] == (28, 28) and x.max() > 200 and x[..., 0, :].max() < 50  # white ink, centred


@pytest.mark.parametrize("damage,message", [
    ("crc", "cannot be read at a.png: (a checksum does not match|its compressed data is damaged)"),
    ("encrypted", "cannot be read at a.png: encrypted"),
    ("bzip2", "cannot be read at a.png: compression method 12"),
])
def test_a_damaged_encrypted_or_oddly_compressed_zip_says_which_and_why(tmp_path, damage, message):
    members = {"a.png": png(), "b.png": png()}
    if damage == "bzip2":
        path = zipped(tmp_path / "z.zip", members, zipfile.ZIP_BZIP2)
    else:
        path = zipped(tmp_path / "z.zip", members)
        raw = bytearray(open(path, "rb").read())
        if damage == "crc":  # the member's bytes changed after the checksum was taken
            start = 30 + len("a.png")
            raw[start + 5] ^= 0xFF
        else:  # the general-purpose flag's bit 0, in the local header and the central directory
            raw[6] |= 1
            raw[raw.index(b"PK\x01\x02") + 8] |= 1
        open(path, "wb").write(raw)
    with pytest.raises(data.DataError, match=message):
        data.load_user_images([path])
