"""Generated digits as training data, measured: the Classification Accuracy Score (Ravuri & Vinyals,
NeurIPS 2019, "Classification Accuracy Score for Conditional Generative Models"). A small classifier
is trained on a class-conditional model's digits only, asked for each class in turn, and tested on
real held-out digits: if the model's "3"s are what real 3s are (all of their variety, not one
stereotype), the classifier learns real 3s from them. Beside it, the data augmentation the material
names: 100 real digits alone, and the same 100 with the generated ones added.

FID and CAS disagree because they ask different things. FID compares the feature statistics of the
whole sample with real digits', labels unseen; CAS asks whether each class's samples cover that
class. Guidance and truncation sharpen every sample (a better FID here) while narrowing each class
to its typical digits, so a classifier trained on them has never seen an unusual 7 (a worse CAS).
The judge of both is a classifier; this one is a new, smaller network trained from scratch, not the
judge of genai/metrics.py, so that it learns only from the data it is given.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from genai.locales import said

STEPS = 400  # Adam steps of batch 64 for every row alike (about 3 s on one core)
FEW = 100  # the small real set: 10 digits a class
PER_CLASS = 100  # generated digits a class (1,000 in all)


def small_classifier() -> nn.Module:
    """A small CNN (two conv layers, 0.05 M parameters): quick to train, enough for 98% on MNIST."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16 x 14 x 14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 49, 32), nn.ReLU(), nn.Linear(32, 10),
    )


def train_and_test(train_x, train_y, test_x, test_y, steps: int = STEPS, seed: int = 0) -> float:
    """Train a fresh small classifier on (train_x (N, 1, 28, 28) in [0, 1], train_y (N,)) for
    ``steps`` steps of batch 64 (random shifts of up to 2 pixels), and return its accuracy on the
    test set."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = small_classifier()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    net.train()
    for _ in range(steps):
        idx = torch.randint(len(train_x), (64,), generator=g)
        dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
        x = torch.roll(train_x[idx], (dx, dy), dims=(2, 3))
        loss = F.cross_entropy(net(x), train_y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(xb).argmax(1) for xb in test_x.split(500)])
    return (pred == test_y).float().mean().item()


def few_real(data, n: int = FEW, seed: int = 0):
    """n training digits, n / 10 of each class, chosen at random (fixed by ``seed``)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.cat([c[torch.randperm(len(c), generator=g)[: n // 10]]
                     for c in (torch.nonzero(data.train_y == k).flatten() for k in range(10))])
    return data.train_x[idx].float().div(255), data.train_y[idx]


def generate(model, per_class: int, seed: int = 0, batch: int = 200):
    """per_class digits of each class from a class-conditional model, drawn as its card says
    (the model's own sampler, steps, guidance and truncation)."""
    conditional = getattr(getattr(model, "config", None), "conditional", False)
    if getattr(model, "family", None) not in ("gan", "diffusion") or not conditional:
        raise said(ValueError, "uses.err_cas_family")
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(10).repeat_interleave(per_class)
    x = torch.cat([model.sample(len(yb), g, labels=yb) for yb in y.split(batch)])
    return x, y


def cas(model, data, per_class: int = PER_CLASS, few: int = FEW, steps: int = STEPS, seed: int = 0,
        progress=None, generated=None) -> dict:
    """The scores of one class-conditional model, each a classifier's accuracy on ``data``'s
    held-out digits: trained on the model's digits only (the CAS), on ``few`` real digits, on those
    plus the model's, and on as many real training digits as the model drew (the reference).
    ``progress(fraction, what)`` is told as it goes; ``generated`` (x, y), if given, are the model's
    digits already drawn by ``generate``."""
    tell = progress or (lambda *_: None)
    test_x, test_y = data.heldout_float()
    n = 10 * per_class
    if n > len(data.train_x):
        raise ValueError(f"{n} generated digits need as many real training digits to compare with "
                         f"(there are {len(data.train_x)})")
    tell(0.0, "generating")
    gen_x, gen_y = generated if generated is not None else generate(model, per_class, seed)
    fx, fy = few_real(data, few, seed)
    g = torch.Generator().manual_seed(seed)
    ref = torch.randperm(len(data.train_x), generator=g)[:n]
    sets = {"generated": (gen_x, gen_y), "few_real": (fx, fy),
            "few_real_plus_generated": (torch.cat([fx, gen_x]), torch.cat([fy, gen_y])),
            "real": (data.train_x[ref].float().div(255), data.train_y[ref])}
    out = {"per_class": per_class, "few": few, "steps": steps, "test": len(test_x)}
    for i, (key, (x, y)) in enumerate(sets.items()):
        tell(0.4 + 0.15 * i, key)
        out[key] = train_and_test(x, y, test_x, test_y, steps, seed)
    tell(1.0, "done")
    return out
