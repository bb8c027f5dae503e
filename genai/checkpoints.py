"""Checkpoints: safetensors weights plus a JSON sidecar, written atomically.

``NAME.safetensors`` holds the tensors (never a pickle); ``NAME.json`` holds what is needed to
rebuild and judge the model: family, config, step, data set, metrics, format version. Each file
is written to a temp file in the same folder and moved into place with ``os.replace``, so a crash
mid-write leaves the previous checkpoint whole. Loading checks the sidecar first, then the
tensors' header, then loads with ``strict=True``.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from genai.locales import said

FORMAT = "genai-checkpoint"
FORMAT_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DIR = ROOT / "checkpoints"
def _runs_dir() -> Path:
    """GENAI_RUNS_DIR; on a Space with persistent storage (mounted at /data), a folder there, so
    that a restart keeps the class's runs; else runs/ beside the code."""
    if os.environ.get("GENAI_RUNS_DIR"):
        return Path(os.environ["GENAI_RUNS_DIR"])
    if os.environ.get("SPACE_ID") and os.path.isdir("/data") and os.access("/data", os.W_OK):
        return Path("/data/genai-runs")
    return ROOT / "runs"


RUNS_DIR = _runs_dir()
MAX_BYTES = 200 * 2**20


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says what is wrong."""


@dataclass
class CheckpointInfo:
    name: str  # shown in dropdowns
    path: Path  # the .safetensors file
    family: str
    shipped: bool
    meta: dict


def is_temp(p: Path) -> bool:
    """A write's temporary file: ours (NAME.xxxx.tmp) or safetensors' own (.tmpXXXXXX)."""
    return p.is_file() and (p.suffix == ".tmp" or (p.name.startswith(".tmp") and len(p.name) == 10))


def remove_stale_temp(folder: str | os.PathLike, older_than: float = 600.0) -> int:
    """Delete temporary files a killed write left in ``folder`` (and below); returns how many.
    Only files untouched for ``older_than`` seconds: a write in progress is never one of them."""
    now, n = time.time(), 0
    for p in Path(folder).rglob("*tmp*"):
        try:
            if is_temp(p) and now - p.stat().st_mtime >= older_than:
                p.unlink()
                n += 1
        except FileNotFoundError:
            pass
    return n


def _atomic_write(path: Path, write) -> None:
    """Write via a temp file in the same folder, then os.replace: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a checkpoint is for others to read too
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


RESERVED = {"format", "format_version", "family", "config", "step", "dataset", "metrics", "saved_at", "optim"}
OPTIM = "_optim."  # prefix of optimizer-state tensors stored beside the weights


def optim_tensors(optimizers: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Split optimizers' state dicts into tensors (for safetensors) and the rest (for JSON)."""
    tensors, groups = {}, {}
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        groups[name] = {"param_groups": sd["param_groups"], "scalars": {}}
        for idx, state in sd["state"].items():
            for key, value in state.items():
                if torch.is_tensor(value):
                    tensors[f"{OPTIM}{name}.{idx}.{key}"] = value
                else:
                    groups[name]["scalars"][f"{idx}.{key}"] = value
    return tensors, groups


def split_optim(tensors: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    model = {k: v for k, v in tensors.items() if not k.startswith(OPTIM)}
    return model, {k: v for k, v in tensors.items() if k.startswith(OPTIM)}


def optimizer_states(tensors: dict[str, torch.Tensor], meta: dict) -> dict[str, dict]:
    """Rebuild each optimizer's state_dict from a checkpoint (empty if it saved none)."""
    out = {}
    for name, saved in meta.get("optim", {}).items():
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith(f"{OPTIM}{name}."):
                idx, field = key[len(OPTIM) + len(name) + 1:].split(".", 1)
                state.setdefault(int(idx), {})[field] = value
        for key, value in saved["scalars"].items():
            idx, field = key.split(".", 1)
            state.setdefault(int(idx), {})[field] = value
        out[name] = {"state": state, "param_groups": saved["param_groups"]}
    return out


def save(path: str | os.PathLike, tensors: dict[str, torch.Tensor], *, family: str, config: dict,
         step: int = 0, dataset: str = "", metrics: dict | None = None, extra: dict | None = None,
         optimizers: dict | None = None) -> Path:
    """Save ``tensors`` to ``path`` (.safetensors) and the sidecar beside it (.json). With
    ``optimizers``, their state goes along, so that a resumed run continues exactly."""
    path = Path(path).with_suffix(".safetensors")
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "family": family, "config": config,
            "step": int(step), "dataset": dataset, "metrics": metrics or {}, "saved_at": time.time(),
            **(extra or {})}
    if optimizers:
        opt_t, meta["optim"] = optim_tensors(optimizers)
        tensors = {**tensors, **opt_t}
    # contiguous CPU copies: safetensors refuses shared or strided storage
    flat = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    # The weights file carries its own copy of the sidecar, tagged with this save's id: a server
    # killed between the two renames below leaves new weights beside an old sidecar, and load()
    # then trusts the copy inside the weights (one file, replaced atomically) and mends the sidecar.
    meta["save_id"] = uuid.uuid4().hex
    header = {"format": FORMAT, "family": family, "meta": json.dumps(meta)}
    _atomic_write(path, lambda tmp: save_file(flat, tmp, metadata=header))
    _atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1)))
    return path


def rewrite(path: str | os.PathLike, *, config: dict | None = None, metrics: dict | None = None,
            extra: dict | None = None, half: bool = False) -> tuple[Path, int]:
    """Save a checkpoint again in place with its weights only (the optimizer state dropped; as
    float16 with ``half``), ``config`` and ``metrics`` merged into its own and ``extra`` fields
    added: what stripping a file for shipping or writing measured figures into its card needs.
    Returns the path and how many optimizer tensors were dropped."""
    tensors, meta = load(path)
    weights, optim = split_optim(tensors)
    keep = {k: v for k, v in meta.items() if k not in RESERVED}
    if half:  # half the size; loading casts back to the model's float32
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
        keep["stored_dtype"] = "float16"
    saved = save(path, weights, family=meta["family"], config={**meta["config"], **(config or {})},
                 step=meta.get("step", 0), dataset=meta.get("dataset", ""),
                 metrics={**meta.get("metrics", {}), **(metrics or {})}, extra={**keep, **(extra or {})})
    return saved, len(optim)


def copy_to(path: str | os.PathLike, folder: str | os.PathLike) -> Path:
    """A copy of a checkpoint (weights and sidecar) under ``folder`` with a fresh name, so that
    a fork starts from a file the run it came from will not overwrite."""
    import shutil
    import uuid

    src = Path(path).with_suffix(".safetensors")
    read_meta(src)
    dest = Path(folder) / f"{src.parent.name}-{uuid.uuid4().hex[:8]}.safetensors"
    dest.parent.mkdir(parents=True, exist_ok=True)
    # if the run saves again meanwhile, weights and sidecar still fit (same config, a later step)
    meta_text = src.with_suffix(".json").read_text("utf-8")
    _atomic_write(dest, lambda tmp: shutil.copyfile(src, tmp))
    _atomic_write(dest.with_suffix(".json"), lambda tmp: Path(tmp).write_text(meta_text))
    return dest


def read_meta(path: str | os.PathLike) -> dict:
    """Read and check the sidecar of ``path``; raises CheckpointError saying what is wrong."""
    path = Path(path).with_suffix(".safetensors")
    side = path.with_suffix(".json")
    if not path.is_file():
        raise said(CheckpointError, "err.ckpt_no_file", name=path.name)
    if not side.is_file():
        raise said(CheckpointError, "err.ckpt_no_sidecar", name=path.name, sidecar=side.name)
    try:
        meta = json.loads(side.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise said(CheckpointError, "err.ckpt_bad_json", name=side.name, why=str(e)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise said(CheckpointError, "err.ckpt_not_sidecar", name=side.name)
    if meta.get("format_version") != FORMAT_VERSION:
        raise said(CheckpointError, "err.ckpt_version", name=side.name, version=meta.get("format_version"),
                   reads=FORMAT_VERSION)
    for key in ("family", "config"):
        if key not in meta:
            raise said(CheckpointError, "err.ckpt_sidecar_lacks", name=side.name, key=repr(key))
    return meta


def load(path: str | os.PathLike, family: str | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """Return (tensors, meta). Checks the sidecar, the family, and the tensor file's integrity."""
    path = Path(path).with_suffix(".safetensors")
    meta = read_meta(path)
    if family and meta["family"] != family:
        raise said(CheckpointError, "err.ckpt_family", name=path.name, family=meta["family"], wanted=family)
    if path.stat().st_size > MAX_BYTES:
        raise said(CheckpointError, "err.ckpt_too_large", name=path.name, mb=MAX_BYTES // 2**20)
    try:
        tensors = load_file(str(path))
        with safe_open(str(path), "pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise said(CheckpointError, "err.ckpt_damaged", name=path.name, why=str(e)) from None
    own = _meta_in(header)
    if own and own.get("save_id") != meta.get("save_id") and own.get("family") == meta["family"]:
        meta = own  # the sidecar is from an earlier save (interrupted mid-save): the weights' own copy
        _atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1)))
    return tensors, meta


def _meta_in(header: dict) -> dict | None:
    try:
        meta = json.loads(header.get("meta", ""))
    except json.JSONDecodeError:
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == FORMAT and "config" in meta else None


def load_into(model: torch.nn.Module, tensors: dict[str, torch.Tensor], name: str = "checkpoint",
              assign: bool = False) -> None:
    """load_state_dict(strict=True), with the mismatch said in one line."""
    try:
        model.load_state_dict(split_optim(tensors)[0], strict=True, assign=assign)
    except RuntimeError as e:
        first = str(e).splitlines()[0:3]
        raise said(CheckpointError, "err.ckpt_misfit", name=name, why=" ".join(first)) from None


def list_checkpoints(family: str | None = None, runs_dir: str | os.PathLike | None = None) -> list[CheckpointInfo]:
    """Shipped checkpoints first, then the user's runs (newest first). Unreadable ones are skipped."""
    out = []
    for folder, shipped in ((SHIPPED_DIR, True), (Path(runs_dir) if runs_dir else RUNS_DIR, False)):
        if not folder.is_dir():
            continue
        files = sorted(folder.rglob("*.safetensors"), key=lambda p: (-p.stat().st_mtime if not shipped else 0, str(p)))
        for p in files:
            try:
                meta = read_meta(p)
            except CheckpointError:
                continue
            if family and meta["family"] != family:
                continue
            rel = p.relative_to(folder).with_suffix("")
            out.append(CheckpointInfo(("" if shipped else "runs/") + str(rel), p, meta["family"], shipped, meta))
    return out


def find(name: str, family: str | None = None, runs_dir: str | os.PathLike | None = None) -> CheckpointInfo:
    for info in list_checkpoints(family, runs_dir):
        if info.name == name:
            return info
    raise said(CheckpointError, "err.ckpt_no_such_name", name=repr(name), family=family or "-")
