"""Model families. Each family is one file with a dataclass ``Config``, named ``PRESETS`` and a
``Model`` class that keeps the shared contract:

    configure_optimizers() -> dict[str, Optimizer]
    train_step(batch, opts) -> dict[str, float]
    sample(n, generator=None) -> tensor or text
    evaluate(data) -> dict[str, float]          # on held-out data
    preview() -> PIL image or text              # what the UI shows while training
    make_batch(data, batch_size, generator)     # a training batch from a data set

and names ``FAMILY`` and ``DATA_KIND`` ("image" or "text"). A new family is a new file here: the
list below is this folder's modules. Families are imported lazily so that starting the app does
not import what it does not show.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict, fields
from pathlib import Path

import torch

from genai.locales import said

FAMILIES = {m.name: f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)}


def family_module(family: str):
    if family not in FAMILIES:
        raise said(ValueError, "err.unknown_family", name=repr(family), choices=", ".join(FAMILIES))
    return importlib.import_module(FAMILIES[family])


def data_kind(family: str) -> str:
    """What a family trains on: "image" or "text"."""
    return family_module(family).DATA_KIND


def make_config(family: str, preset: str | None = None, **overrides):
    """A family's config from a named preset plus overrides; unknown fields are refused."""
    mod = family_module(family)
    if preset and preset not in mod.PRESETS:
        raise said(ValueError, "err.unknown_preset", family=family, name=repr(preset), choices=", ".join(mod.PRESETS))
    base = dict(mod.PRESETS[preset]) if preset else {}
    names = {f.name for f in fields(mod.Config)}
    bad = sorted(set(overrides) - names)
    if bad:
        raise said(ValueError, "err.unknown_setting", family=family, names=", ".join(bad))
    base.update({k: v for k, v in overrides.items() if v is not None})
    return mod.Config(**base)


def build(family: str, config=None, preset: str | None = None, **overrides):
    mod = family_module(family)
    if config is None:
        config = make_config(family, preset, **overrides)
    elif isinstance(config, dict):
        names = {f.name for f in fields(mod.Config)}
        config = mod.Config(**{k: v for k, v in config.items() if k in names})
    return mod.Model(config)


def config_dict(model) -> dict:
    return asdict(model.config)


def fits_weights(meta: dict, tensors: dict, name: str) -> None:
    """Build the sidecar's model on the meta device (shapes, no memory) and compare its weights'
    shapes with the file's: a sidecar whose sizes do not fit its weights (a z_dim of 100,000 beside
    a 64-wide layer) is refused before a real model of those sizes is built. The lm family is left
    to load_into: building it reads its base model."""
    from genai import checkpoints

    if meta.get("family") == "lm":
        return
    try:
        with torch.device("meta"):
            probe = build(meta["family"], meta["config"])
    except (TypeError, ValueError, RuntimeError) as e:
        raise checkpoints.CheckpointError(f"{name}: its config does not build a {meta['family']} model ({e})") from None
    # assign=True puts the file's tensors in place of the meta ones (no copy) after the family's
    # own load hooks (the GAN converts old label planes) and fails on a shape that does not fit
    checkpoints.load_into(probe, tensors, name, assign=True)


def from_checkpoint(path, family: str | None = None, device=None):
    """Rebuild a model from a checkpoint alone: the config in its sidecar, then the weights."""
    from genai import checkpoints

    tensors, meta = checkpoints.load(path, family)
    fits_weights(meta, tensors, Path(path).name)  # a sidecar's sizes, checked before anything is allocated
    try:
        model = build(meta["family"], meta["config"])
    except (TypeError, ValueError) as e:
        raise checkpoints.CheckpointError(f"{Path(path).name}: its config does not build a {meta['family']} model "
                                          f"({e})") from None
    checkpoints.load_into(model, tensors, Path(path).name)  # messages name the file, not the server's folders
    model.eval()
    if device is not None:
        model.to(device)
    return model, meta
