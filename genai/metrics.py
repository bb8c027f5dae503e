"""Sample quality for image generators, measured with a small digit classifier trained here.

* Classifier FID: the Frechet distance (Heusel et al. 2017, Eq. 6) between Gaussians fitted to
  the classifier's penultimate features of generated and of held-out real images,
  ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)). Like FID with Inception features, but
  with features that know digits; the numbers are not comparable with Inception FID.
* Class-histogram entropy: the entropy of the predicted classes of the samples, divided by
  log(10), so 1 means all ten classes equally often and a collapsed GAN scores near 0.
* Confident share: the fraction of samples the classifier labels with probability over 0.9.
* Inception Score (Salimans et al. 2016): exp(E_x[KL(p(y|x) || p(y))]) with this classifier's
  p(y|x) and p(y) the mean of p(y|x) over the samples: high when each image is one clear digit
  and the digits vary; from 1 to 10 here (10 classes). Real held-out digits are the reference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from genai import checkpoints, data as datamod

CLASSIFIER = checkpoints.SHIPPED_DIR / "mnist_classifier.safetensors"
# the FID of 2,000 real training digits against the 2,000 held-out ones (`bench/gan.py quality`).
# Not the floor it was once called: the classifier learned from those training digits, and its
# features tell them from digits it never saw (1,000 training digits against 1,000 held-out: FID
# 156; two halves of the held-out digits: 74.5). Kept only to read the old records in
# BENCHMARKS.md; the page compares with real digits measured alike (measured_alike).
FID_FLOOR = {"mnist": 142.8}


@dataclass
class ClassifierConfig:
    width: int = 32
    features: int = 128


class DigitClassifier(nn.Module):
    family = "classifier"

    def __init__(self, config: ClassifierConfig | None = None):
        super().__init__()
        self.config = c = config or ClassifierConfig()
        w = c.width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),  # w x 14 x 14
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),  # 2w x 7 x 7
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(2 * w * 49, c.features), nn.ReLU(),
        )
        self.head = nn.Linear(c.features, 10)

    def forward(self, x):  # x: (B, 1, 28, 28) in [0, 1] -> (logits (B, 10), features (B, F))
        h = self.body(x)
        return self.head(h), h

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch: int = 500):
        self.eval()
        logits, feats = [], []
        for i in range(0, len(x), batch):
            # channels_last: oneDNN's layout for convolutions; a third less time a batch on the CPU
            # (1,000 digits 379 -> 254 ms on one thread), the features equal to 2e-5
            lo, h = self(x[i: i + batch].float().contiguous(memory_format=torch.channels_last))
            logits.append(lo)
            feats.append(h)
        return torch.cat(logits), torch.cat(feats)


def train_classifier(data, steps: int = 1500, batch_size: int = 128, seed: int = 0, log=print) -> DigitClassifier:
    """Train the quality classifier on ``data.train`` (light augmentation: random shifts)."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    for step in range(1, steps + 1):
        model.train()
        x, y = data.batch(batch_size, g)
        dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
        x = torch.roll(x, (dx, dy), dims=(2, 3))
        loss = F.cross_entropy(model(x)[0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == steps:
            log(f"step {step}: loss {loss.item():.4f}, held-out accuracy {accuracy(model, data):.4f}")
    return model


def accuracy(model: DigitClassifier, data) -> float:
    x, y = data.heldout_float()
    logits, _ = model.embed(x)
    return (logits.argmax(1) == y).float().mean().item()


def save_classifier(model: DigitClassifier, path=CLASSIFIER, dataset: str = "mnist", metrics=None):
    from dataclasses import asdict

    return checkpoints.save(path, model.state_dict(), family="classifier", config=asdict(model.config),
                            dataset=dataset, metrics=metrics or {})


_CLASSIFIER: DigitClassifier | None = None


def load_classifier(path=CLASSIFIER) -> DigitClassifier | None:
    """The shipped classifier (cached), or None when it is not there."""
    global _CLASSIFIER
    if _CLASSIFIER is None:
        if not checkpoints.Path(path).exists():
            return None
        tensors, meta = checkpoints.load(path, "classifier")
        model = DigitClassifier(ClassifierConfig(**meta["config"]))
        checkpoints.load_into(model, tensors, "classifier")
        _CLASSIFIER = model.eval().to(memory_format=torch.channels_last)
    return _CLASSIFIER


def frechet_distance(f1: torch.Tensor, f2: torch.Tensor) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) (Heusel et al. 2017, Eq. 6).
    Tr((S1 S2)^(1/2)) = sum of sqrt(eigenvalues of S1^(1/2) S2 S1^(1/2)), a symmetric PSD matrix,
    which avoids the complex round-off of a general matrix square root."""
    a, b = f1.double().numpy(), f2.double().numpy()
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * cross)


def measured_alike(meta: dict) -> tuple[dict, dict] | None:
    """(this checkpoint's row, the real digits' row) of ``checkpoints/image_models.json``, where
    ``bench/diffusion.py compare`` measured this very file (its save_id) against held-out digits
    at the same sample size as real digits; None for any other file (a student's run)."""
    import json

    path = checkpoints.SHIPPED_DIR / "image_models.json"
    if not meta.get("save_id") or not path.exists():
        return None
    rows = json.loads(path.read_text("utf-8")).get("rows", [])
    mine = next((r for r in rows if r.get("save_id") == meta["save_id"]), None)
    real = next((r for r in rows if r.get("fid_floor") == 1.0 and not r.get("checkpoint")), None)
    return (mine, real) if mine and real else None


def kid(f1: torch.Tensor, f2: torch.Tensor, subsets: int = 50, size: int = 500, seed: int = 0) -> float:
    """Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs", Eq. 4 and
    Appendix D): the unbiased estimate of MMD^2 with the cubic kernel k(x, y) = (x.y / d + 1)^3,
    averaged over ``subsets`` random subsets of ``size`` of each side. Unlike FID it has no bias
    that grows as the sample shrinks: two samples of one distribution score 0 on average. The
    classifier's features are unnormalised, so the values are large and not Inception KID's."""
    g = torch.Generator().manual_seed(seed)
    d, m = f1.shape[1], min(size, len(f1), len(f2))
    total = 0.0
    for _ in range(subsets):
        a = f1[torch.randperm(len(f1), generator=g)[:m]].double()
        b = f2[torch.randperm(len(f2), generator=g)[:m]].double()
        kxx, kyy, kxy = ((a @ a.T) / d + 1) ** 3, ((b @ b.T) / d + 1) ** 3, ((a @ b.T) / d + 1) ** 3
        within = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        total += float(within - 2 * kxy.mean())
    return total / subsets


def nearest_distances(x: torch.Tensor, train: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """Each image's pixel distance (L2, images in [0, 1]) to its nearest training image: (N,).
    In float64: cdist takes |a|^2 + |b|^2 - 2ab for sets this size, which in float32 leaves an exact
    copy about 0.01 from its original (the rounding of norms near 100), depending on the pixels."""
    a, b = x.reshape(len(x), -1).double(), train.reshape(len(train), -1).double()
    return torch.cat([torch.cdist(part, b).min(1).values for part in a.split(batch)]).float()


def stray_pixels(x: torch.Tensor, ink: float = 0.3) -> np.ndarray:
    """Each image's (ink pixels, ink pixels outside its largest 8-connected stroke): (N, 2)."""
    from scipy import ndimage

    out = np.zeros((len(x), 2))
    for i, img in enumerate(x.reshape(len(x), 28, 28).numpy() > ink):
        labels, n = ndimage.label(img, structure=np.ones((3, 3)))
        if n:
            sizes = np.bincount(labels.ravel())[1:]
            out[i] = sizes.sum(), sizes.sum() - sizes.max()
    return out


def stray_share(x: torch.Tensor, ink: float = 0.3) -> float:
    """The share of ink (pixels over ``ink``) outside each image's largest 8-connected stroke: the
    stray dots a sampler leaves beside a digit (a real digit's broken stroke counts too)."""
    px = stray_pixels(x, ink)
    return float(px[:, 1].sum() / max(px[:, 0].sum(), 1))


def class_histogram(logits: torch.Tensor) -> tuple[np.ndarray, float, float]:
    """(counts per class, normalised entropy of the histogram, share with confidence > 0.9)."""
    p = logits.softmax(1)
    counts = np.bincount(p.argmax(1).numpy(), minlength=10)
    q = counts / counts.sum()
    entropy = float(-(q[q > 0] * np.log(q[q > 0])).sum() / math.log(10))
    return counts, entropy, float((p.max(1).values > 0.9).float().mean())


def inception_score(logits: torch.Tensor) -> float:
    """exp(mean over images of KL(p(y|x) || p(y))), p(y) = mean of p(y|x) (Salimans et al. 2016)."""
    logp = logits.double().log_softmax(1)  # (N, 10) log p(y|x)
    log_py = logp.exp().mean(0).log()  # (10,) log p(y)
    kl = (logp.exp() * (logp - log_py)).sum(1)  # (N,) KL(p(y|x) || p(y))
    return float(kl.mean().exp())


# held-out features by (classifier, held-out images, how many): 0.7-0.9 s of one core for 2,000
# digits, once a process. Only the named data sets' (cached in memory by genai.data already); the
# training processes' forkserver fills it before it forks them (genai/preload.py).
_FEATURES: dict[tuple, tuple] = {}


def heldout_features(classifier: DigitClassifier, data, n_real: int) -> torch.Tensor:
    """The classifier's features of the first ``n_real`` held-out images of ``data``: (n, features)."""
    key = (id(classifier), id(data.heldout_x), n_real)
    hit = _FEATURES.get(key)
    if hit is not None and hit[0] is classifier and hit[1] is data.heldout_x:
        return hit[2]
    feats = classifier.embed(data.heldout_float(n_real)[0])[1]
    if data.name in datamod.DATASETS:  # the entry keeps both alive, so their ids stay theirs
        while len(_FEATURES) >= 8:  # a few data sets, each loaded once (data.load_images)
            del _FEATURES[next(iter(_FEATURES))]
        _FEATURES[key] = (classifier, data.heldout_x, feats)
    return feats


class SampleQuality:
    """Scores generated images against one data set's held-out images (features cached)."""

    def __init__(self, classifier: DigitClassifier, data, n_real: int = 2000):
        self.classifier, self.data = classifier, data
        self.real_features = heldout_features(classifier, data, n_real)

    # the Frechet distance needs the held-out features' covariance (128 x 128) to be full rank: with
    # fewer images it is singular and the matrix square root fails ("Eigenvalues did not converge")
    MIN_REAL = 200

    @classmethod
    def for_data(cls, data):
        """A scorer for ``data``, or None: no classifier, or too few held-out images."""
        clf = load_classifier()
        if clf is None or len(data.heldout_x) < cls.MIN_REAL:
            return None
        return cls(clf, data)

    def score(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, float]:
        """FID, class entropy, confident share, class shares; with the labels a conditional G was
        asked for, also ``label_match``: the share the classifier reads as the asked-for class."""
        logits, feats = self.classifier.embed(images)
        counts, entropy, confident = class_histogram(logits)
        out = {"fid": frechet_distance(feats, self.real_features), "class_entropy": entropy,
               "confident": confident, "inception_score": inception_score(logits)}
        out.update({f"class_{i}": float(c) / len(images) for i, c in enumerate(counts)})
        if labels is not None:
            out["label_match"] = (logits.argmax(1) == labels).float().mean().item()
        return out
