"""Files a careless or hostile user uploads, made on the fly (nothing binary in the repository)."""
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def digit(ink=255, size=28, mode="L") -> Image.Image:
    a = np.zeros((size, size), np.uint8)
    a[size // 4: 3 * size // 4, size // 2 - 2: size // 2 + 2] = ink  # a "1"
    return Image.fromarray(a).convert(mode)


def png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def make(folder: Path) -> dict[str, Path]:
    """name -> file, one per kind of bad (or odd but fine) upload."""
    f = {}

    def put(name, data):
        f[name.rsplit(".", 1)[0]] = p = folder / name
        p.write_bytes(data) if isinstance(data, bytes) else data(p)
        return p

    put("rgba.png", lambda p: digit(mode="RGBA").save(p))
    put("ok.png", lambda p: digit().save(p))
    put("tiff16.tif", lambda p: Image.fromarray(np.asarray(digit()).astype(np.uint16) * 257).save(p))
    put("cmyk.jpg", lambda p: digit(mode="RGB").convert("CMYK").save(p, "JPEG"))
    put("anim.gif", lambda p: digit(mode="P").save(p, save_all=True, append_images=[digit(100, mode="P")] * 3))
    put("empty.png", b"")
    put("text_as.png", b"this is not an image, only a name that says so\n" * 10)
    put("truncated.png", png_bytes(digit(size=280))[:200])
    put("random.png", np.random.default_rng(0).bytes(5000))
    # a decompression bomb: 200 million pixels that compress to a few hundred kB
    put("bomb.png", lambda p: Image.new("1", (20_000, 10_000)).save(p, optimize=True))
    put("script.py", b"import os; os.system('echo hi')\n")
    put("latin1.txt", "Ça été un été très chaud à Paris.\n".encode("latin-1") * 50)
    put("binary.txt", np.random.default_rng(1).bytes(4000))
    put("empty.txt", b"")

    def zip_of(name, members):
        def write(p):
            with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
                for info, data in members:
                    z.writestr(info, data)
        return put(name, write)

    ok = png_bytes(digit())
    zip_of("traversal.zip", [("../../evil.png", ok), ("/abs/evil2.png", ok), ("a/../../evil3.png", ok)])
    link = zipfile.ZipInfo("link.png")
    link.external_attr = (0o120777 << 16)  # a symlink member, pointing at a server file
    zip_of("symlink.zip", [(link, "/etc/passwd"), ("ok.png", ok)])
    zip_of("many.zip", [(f"d{i}.png", ok) for i in range(20_001)])
    zip_of("no_images.zip", [("readme.txt", b"nothing to see")])
    put("corrupt.zip", b"PK\x03\x04" + np.random.default_rng(2).bytes(3000))
    return f
