"""Generative adversarial networks for 28x28 images: an MLP GAN, a DCGAN, and conditional
variants of both (the class label enters G by an embedding concatenated to z, and D as one-hot
input channels, Mirza & Osindero 2014; in the MLP's D as the bias those planes amount to).

Losses, each cited at its equation in ``d_loss`` / ``g_loss``:
  bce      Goodfellow et al. 2014, "Generative Adversarial Nets" (minimax D, non-saturating G)
  hinge    Lim & Ye 2017, "Geometric GAN"; as used by Miyato et al. 2018 (SN-GAN)
  wgan-gp  Gulrajani et al. 2017, "Improved Training of Wasserstein GANs"
Tricks for a small data set (8,000 digits here), each a config field, off by default and measured
one at a time in BENCHMARKS.md (python bench/gan.py ablate):
  diffaug  Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training":
           the same random shifts and cut-outs on real and fake images before D, in both halves
  r1       Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", Eq. 9:
           (gamma / 2) E[||grad_x D(x)||^2] on real images
  lr_g / lr_d  Heusel et al. 2017 (TTUR): D and G on their own learning rates
  topk     Sinha et al. 2020, "Top-k Training of GANs": G learns only from the k fakes D finds most
           real, k shrinking from the whole batch to the share ``topk``
  clusters Liu et al. 2020, "Diverse Image Generation via Self-Conditioned GANs": G and D are
           conditioned on each training image's k-means cluster as on a label; no labels are used
Images are scaled to [-1, 1] for training (G ends in tanh) and returned in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from genai.locales import said

FAMILY = "gan"
DATA_KIND = "image"
LOSSES = ("bce", "hinge", "wgan-gp")
ARCHS = ("mlp", "dcgan")
PIXELS = 28 * 28


@dataclass
class Config:
    arch: str = "dcgan"  # "mlp" or "dcgan"
    conditional: bool = False  # class label in: ask G for a chosen digit
    n_classes: int = 10
    z_dim: int = 64
    g_width: int = 64  # DCGAN: channels of the 14x14 layer; MLP: first hidden layer
    d_width: int = 64
    loss: str = "bce"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    gp_weight: float = 10.0  # lambda of WGAN-GP
    ema: float = 0.999  # sample from a moving average of G's weights (0 turns it off)
    spectral_norm: bool = False  # D's layers spectrally normalised (Miyato et al. 2018), no batch norm
    diffaug: str = ""  # DiffAugment policy: "", "translation", "cutout" or "translation,cutout"
    r1: float = 0.0  # gamma of the R1 penalty on real images (0 turns it off)
    # the truncation trick (Brock et al. 2019, BigGAN): sample() draws z ~ N(0, psi^2 I), which
    # trades variety for surer digits; 1 is the training distribution
    truncation: float = 1.0
    # top-k training: the share of each batch's fakes G learns from shrinks from 1 to this share
    # by ``topk_decay`` a step (0.99992: the paper's 0.99 an epoch, 8,000 digits at batch 64)
    topk: float = 1.0
    topk_decay: float = 0.99992
    # self-conditioning: the training images are split into this many k-means clusters (on their
    # pixels) before training; G and D see an image's cluster as a conditional GAN sees its label,
    # and sample() draws a cluster by its share of the data. The model needs no labels and is
    # unconditional to its user. 0 turns it off.
    clusters: int = 0


def n_labels(c: Config) -> int:
    """How many labels G and D are conditioned on: digits, clusters, or none."""
    return c.n_classes if c.conditional else c.clusters


PRESETS = {
    # the MLP GAN: with R1 (gamma 0.1) 12,000 steps reach FID 1.20 times the noise floor, 1.33
    # without; shipped with clusters=100 (self-conditioning) and 24,000 steps: 1.14, confident
    # 0.79 -> 0.94 at psi 0.8 (bench/gan.py truncation, BENCHMARKS.md)
    "mlp": dict(arch="mlp", z_dim=64, g_width=256, d_width=256, r1=0.1),
    # hinge loss with a spectrally normalised D: measured on MNIST at 2,000 steps, FID 541 and
    # class entropy 0.96, against 596 and 0.87 for BCE with batch norm (BENCHMARKS.md)
    "dcgan": dict(arch="dcgan", loss="hinge", spectral_norm=True, z_dim=64, g_width=64, d_width=64),
    # the shipped conditional DCGAN: R1 (gamma 1) took 4,000 steps from FID 2.22 to 0.77 times the
    # noise floor and the asked-for digit from 95.1% to 97.3% (bench/gan.py quality)
    "cdcgan": dict(arch="dcgan", conditional=True, loss="bce", z_dim=64, g_width=64, d_width=64, r1=1.0),
    "dcgan-bce": dict(arch="dcgan", loss="bce", z_dim=64, g_width=64, d_width=64),  # Radford et al. 2016 as written
    "dcgan-wgan-gp": dict(arch="dcgan", loss="wgan-gp", z_dim=64, g_width=64, d_width=64,
                          lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9),
    # the 32-channel DCGAN that was cpu-fast before: digits within about a minute of one thread
    "dcgan-small": dict(arch="dcgan", z_dim=32, g_width=32, d_width=32, lr_g=5e-4, lr_d=5e-4),
    # clean digits from two minutes of one CPU thread (CPU_FAST below): the lesson's small MLP GAN
    # with the R1 penalty, which took FID from 1.55 to 0.93 times the noise floor at equal time;
    # dcgan-small reached 2.97 times (bench/gan.py ablate, BENCHMARKS.md)
    "cpu-fast": dict(arch="mlp", z_dim=64, g_width=64, d_width=64, lr_g=2e-3, lr_d=2e-3, r1=0.1),
    # a student's run in class: the best FID after 15-20 s of one CPU thread among the small
    # presets tried (MNIST: FID 374 at 15 s, 314 at 20 s; dcgan-small 662 and 587; bench/gan.py lesson).
    # Adam without momentum (beta1 0, beta2 0.9, as WGAN-GP's and StyleGAN's GANs train): 3,500 steps
    # reach the FID that 5,200 took at (0.5, 0.999), median 334 against 351 of six seeds, with less
    # stray ink (BENCHMARKS.md, issue 31)
    "lesson": dict(arch="mlp", z_dim=64, g_width=64, d_width=64, lr_g=2e-3, lr_d=2e-3,
                   beta1=0.0, beta2=0.9),
    "tiny": dict(arch="dcgan", z_dim=8, g_width=8, d_width=8),  # tests
}
# the lesson length: recognisable digits in about 18 s of one core. Batch 32 over 3,500 steps with
# the preset's Adam (0, 0.9): the held-out FID that 5,200 steps at (0.5, 0.999) reached (itself that
# of batch 64 over 4,500), in two thirds of the steps; BENCHMARKS.md, issue 31
LESSON = dict(preset="lesson", steps=3500, batch_size=32)
# held-out evaluations in a run the GAN tab starts: each draws 1,000 samples through the digit
# classifier (0.8 s on one core), so eight of them were a quarter of a lesson run
EVALS = 4
CPU_FAST = dict(preset="cpu-fast", steps=15000, batch_size=64)  # about 2 minutes of one core
# seconds a step takes on this server, for the queue's estimates (genai/jobs.py): the lesson as
# measured alone on one thread (about 18 s for 3,500 steps at batch 32, 4 evaluations), cpu-fast
# beside one other job (12,714 steps in 120 s, BENCHMARKS.md), None for any other preset (a guess)
SECONDS_PER_STEP = {"lesson": 0.005, "cpu-fast": 0.0094, None: 0.03}


class Generator(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        zin = c.z_dim + (c.z_dim if n_labels(c) else 0)
        self.embed = nn.Embedding(n_labels(c), c.z_dim) if n_labels(c) else None
        w = c.g_width
        if c.arch == "mlp":
            self.net = nn.Sequential(
                nn.Linear(zin, w), nn.LeakyReLU(0.2),
                nn.Linear(w, 2 * w), nn.BatchNorm1d(2 * w), nn.LeakyReLU(0.2),
                nn.Linear(2 * w, 4 * w), nn.BatchNorm1d(4 * w), nn.LeakyReLU(0.2),
                nn.Linear(4 * w, 28 * 28), nn.Tanh(),
            )
        else:
            self.net = nn.Sequential(
                nn.Linear(zin, 2 * w * 7 * 7, bias=False), nn.Unflatten(1, (2 * w, 7, 7)),
                nn.BatchNorm2d(2 * w), nn.ReLU(True),
                # state size: (2w) x 7 x 7
                nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),
                # state size: (w) x 14 x 14
                nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh(),
                # state size: 1 x 28 x 28
            )

    def forward(self, z, y=None):  # z: (B, z_dim), y: (B,) -> (B, 1, 28, 28) in [-1, 1]
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], 1)
        return self.net(z).view(-1, 1, 28, 28)


class Discriminator(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        w = c.d_width
        # WGAN-GP's penalty is per sample, so its critic must not use batch norm (Gulrajani §4);
        # spectral norm already bounds D's slope, batch norm would undo that
        no_bn = c.loss == "wgan-gp" or c.spectral_norm
        norm2d = (lambda ch: nn.Identity()) if no_bn else nn.BatchNorm2d
        # conditional: the label enters as one-hot input planes beside the image (Mirza &
        # Osindero 2014); digits or self-conditioning's clusters alike
        self.n_labels = n_labels(c)
        cin = 1 + self.n_labels
        self.label_bias = None
        if c.arch == "mlp":
            self.features = nn.Sequential(
                nn.Flatten(), nn.Linear(28 * 28, 2 * w), nn.LeakyReLU(0.2),
                nn.Linear(2 * w, w), nn.LeakyReLU(0.2),
            )
            feat = w
            if self.n_labels:
                # A plane of 1s through a fully connected layer is a bias for its label: W_k @ 1.
                # Its 784 weights get the same gradient, so under Adam that bias moves 784 times
                # as fast as one weight. Here it is one row per label, scaled by 784 so it learns
                # at the planes' pace (one-hot inputs at scale 1 left D blind to the label,
                # BENCHMARKS.md) without the 784-fold weights (ten times faster a step).
                self.label_bias = nn.Embedding(self.n_labels, 2 * w)
                nn.init.zeros_(self.label_bias.weight)
                self.register_load_state_dict_pre_hook(_planes_to_bias)
        else:
            self.features = nn.Sequential(
                # input: (1 + classes) x 28 x 28
                nn.Conv2d(cin, w, 4, 2, 1), nn.LeakyReLU(0.2, True),
                # state size: (w) x 14 x 14
                nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), norm2d(2 * w), nn.LeakyReLU(0.2, True),
                # state size: (2w) x 7 x 7
            )
            feat = 2 * w * 7 * 7
        self.out = nn.Linear(feat, 1)
        # real and fake may share a pass when no layer depends on the pass: no batch statistics
        # (batch norm) and no state a pass moves on (spectral norm's power iteration)
        self.one_pass = not c.spectral_norm and not any(isinstance(m, nn.BatchNorm2d) for m in self.features)
        if c.spectral_norm:  # Miyato et al. 2018: every weight divided by its largest singular value
            for m in [*self.features, self.out]:
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.utils.parametrizations.spectral_norm(m)

    def forward(self, x, y=None):  # x: (B, 1, 28, 28), y: (B,) -> logits (B,)
        if self.label_bias is not None:  # MLP: h1 = W x + b + 784 e_y, then the other layers
            h = self.features[1](x.flatten(1)) + PIXELS * self.label_bias(y).to(x.dtype)
            return self.out(self.features[2:](h)).squeeze(1)
        if self.n_labels:  # (B, 1 + labels, 28, 28): the image, then a plane of 1s for its label
            planes = F.one_hot(y, self.n_labels).to(x.dtype)[:, :, None, None].expand(-1, -1, 28, 28)
            x = torch.cat([x, planes], 1)
        h = self.features(x)  # (B, 2w, 7, 7) for the DCGAN, (B, w) for the MLP
        return self.out(h.flatten(1)).squeeze(1)


def _planes_to_bias(D, state_dict, prefix, *_):
    """A conditional MLP GAN saved before the label bias read its label as planes: the first
    layer's 784 weights for plane k sum to label k's bias (W_k @ 1 = 784 e_k), an exact conversion."""
    key = prefix + "features.1.weight"
    w = state_dict.get(key)
    if w is not None and w.size(1) == (1 + D.n_labels) * PIXELS:
        state_dict[key] = w[:, :PIXELS]
        planes = w[:, PIXELS:].unflatten(1, (D.n_labels, PIXELS))  # (2w, labels, 784)
        state_dict[prefix + "label_bias.weight"] = planes.sum(2).t() / PIXELS


def d_loss(kind: str, d_real, d_fake):
    if kind == "bce":
        # Goodfellow et al. 2014, Eq. 1: D maximises log D(x) + log(1 - D(G(z))),
        # i.e. minimises softplus(-l_real) + softplus(l_fake) for logits l
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    if kind == "hinge":
        # Lim & Ye 2017: E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]
        return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
    # Gulrajani et al. 2017, Eq. 3 (without the penalty, added by the caller): E[D(G(z))] - E[D(x)]
    return d_fake.mean() - d_real.mean()


def g_loss(kind: str, d_fake):
    if kind == "bce":
        # Goodfellow et al. 2014, Sec. 3: the non-saturating G maximises log D(G(z))
        return F.softplus(-d_fake).mean()
    # hinge (Lim & Ye 2017) and WGAN (Arjovsky et al. 2017): G minimises -E[D(G(z))]
    return -d_fake.mean()


AUGMENTS = ("translation", "cutout")


def translation(x, ratio: float = 0.125):
    """Each image shifted by up to ratio * size pixels in x and y (DiffAugment's rand_translation,
    4 pixels here), the uncovered border filled with the background (-1) rather than grey."""
    B, C, H, W = x.shape
    s = int(H * ratio + 0.5)
    shift = torch.randint(-s, s + 1, (2, B, 1, 1), device=x.device)
    rows = (torch.arange(H, device=x.device)[None, :, None] + shift[0] + s).expand(B, H, W)
    cols = (torch.arange(W, device=x.device)[None, None, :] + shift[1] + s).expand(B, H, W)
    padded = F.pad(x, (s, s, s, s), value=-1.0)  # (B, C, H + 2s, W + 2s)
    b = torch.arange(B, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[b, rows, cols].permute(0, 3, 1, 2)  # (B, C, H, W)


def cutout(x, ratio: float = 0.5):
    """A square of ratio * size pixels at a random place in each image set to the background
    (DiffAugment's rand_cutout, 14x14 here)."""
    B, C, H, W = x.shape
    half = int(H * ratio + 0.5) // 2
    cy = torch.randint(0, H, (B, 1, 1), device=x.device)
    cx = torch.randint(0, W, (B, 1, 1), device=x.device)
    ys = torch.arange(H, device=x.device)[None, :, None]
    xs = torch.arange(W, device=x.device)[None, None, :]
    inside = (ys - cy >= -half) & (ys - cy < half) & (xs - cx >= -half) & (xs - cx < half)  # (B, H, W)
    return x.masked_fill(inside[:, None], -1.0)


def diff_augment(x, policy: str):
    """Zhao et al. 2020: random, differentiable changes applied to every image D sees, real or fake,
    so D cannot memorise the few real digits and G's gradient passes through the change."""
    for name in filter(None, policy.split(",")):
        x = translation(x) if name == "translation" else cutout(x)
    return x


def gradient_penalty(D, real, fake, y):
    # Gulrajani et al. 2017, Eq. 3: lambda * E[(||grad D(x_hat)||_2 - 1)^2], x_hat on lines real-fake
    eps = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(D(x_hat, y).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


class Model(nn.Module):
    family = FAMILY

    def __init__(self, config: Config):
        super().__init__()
        if config.arch not in ARCHS:
            raise ValueError(f"Unknown GAN architecture {config.arch!r}; choose one of {', '.join(ARCHS)}")
        if config.loss not in LOSSES:
            raise ValueError(f"Unknown GAN loss {config.loss!r}; choose one of {', '.join(LOSSES)}")
        unknown = set(filter(None, config.diffaug.split(","))) - set(AUGMENTS)
        if unknown:
            raise ValueError(f"Unknown augmentation {', '.join(sorted(unknown))!r} in diffaug; "
                             f"use a comma-separated list of {', '.join(AUGMENTS)}")
        if not 0 < config.truncation <= 1:  # also refuses NaN
            raise ValueError(f"truncation (psi, the scale of z when sampling) must be in (0, 1] "
                             f"(got {config.truncation})")
        if not (0 < config.topk <= 1 and 0 < config.topk_decay <= 1):
            raise ValueError(f"topk (the share of fakes G learns from) and topk_decay must be in (0, 1] "
                             f"(got {config.topk}, {config.topk_decay})")
        if config.clusters and (config.conditional or config.clusters < 2):
            raise ValueError("clusters (self-conditioning) needs at least 2 clusters and an unconditional "
                             f"GAN, which has no labels of its own (got clusters={config.clusters}, "
                             f"conditional={config.conditional})")
        self.config = config
        self.G = Generator(config)
        self.D = Discriminator(config)
        # Samples come from an exponential moving average of G's weights, which smooths out the
        # step-to-step wobble of the game (Yazici et al. 2019, "The Unusual Effectiveness of
        # Averaging in GAN Training"); G itself keeps training as before.
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if config.ema > 0 else None
        if config.arch == "dcgan":
            # channels_last is oneDNN's (and cuDNN's) own layout for convolutions: no reordering
            # around each one, 10% faster a CPU step (bench/gan.py speedups, BENCHMARKS.md)
            self.to(memory_format=torch.channels_last)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        g = torch.Generator().manual_seed(1234)  # fixed noise: the preview grid shows one z over time
        n = 80 if config.conditional else 64
        self.register_buffer("fixed_z", torch.randn(n, config.z_dim, generator=g), persistent=False)
        self.register_buffer("fixed_y", torch.arange(n) % max(1, n_labels(config)), persistent=False)
        if config.clusters:  # fitted by prepare() and saved with the weights
            self.register_buffer("centroids", torch.zeros(config.clusters, 28 * 28))
            self.register_buffer("cluster_share", torch.zeros(config.clusters))
        self._quality = None

    @property
    def device(self):
        return self.fixed_z.device

    def configure_optimizers(self):
        c = self.config
        fused = self.device.type in ("cpu", "cuda")  # one kernel per step instead of a loop of small ones
        return {"G": torch.optim.Adam(self.G.parameters(), c.lr_g, betas=(c.beta1, c.beta2), fused=fused),
                "D": torch.optim.Adam(self.D.parameters(), c.lr_d, betas=(c.beta1, c.beta2), fused=fused)}

    def prepare(self, data):
        if self.config.conditional and int(data.train_y.min()) < 0:
            raise said(ValueError, "err.conditional_needs_labels")
        if self.config.clusters and not self.cluster_share.sum() > 0:  # fitted once, kept on resume
            self.fit_clusters(data.train_x)

    @torch.no_grad()
    def fit_clusters(self, images):
        """k-means (Lloyd's, k-means++ seeding, scikit-learn) on the training images' pixels:
        the self-conditioned GAN's labels (Liu et al. 2020 cluster D's features; pixels are the
        simplest features: on MNIST, 20 clusters are 72% one digit; bench/gan.py clusters)."""
        from sklearn.cluster import KMeans

        k = self.config.clusters
        x = images.flatten(1).float().div(255).numpy()  # (N, 784) in [0, 1]
        if len(x) < k:
            raise ValueError(f"{k} clusters need at least {k} training images (got {len(x)})")
        km = KMeans(k, n_init=3, random_state=0).fit(x)
        self.centroids.copy_(torch.from_numpy(km.cluster_centers_))
        self.cluster_share.copy_(torch.bincount(torch.from_numpy(km.labels_).long(), minlength=k) / len(x))

    def make_batch(self, data, batch_size, generator):
        x, y = data.batch(batch_size, generator)
        x = x.to(self.device)
        if self.config.clusters:  # each image's label is its nearest centroid
            y = torch.cdist(x.flatten(1), self.centroids).argmin(1)
        x = x * 2 - 1
        if self.config.arch == "dcgan":
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device).clamp_min(0)

    def train_step(self, batch, opts) -> dict[str, float]:
        real, y = batch  # real: (B, 1, 28, 28) in [-1, 1]; y: (B,)
        c, B = self.config, real.size(0)
        z = torch.randn(B, c.z_dim, device=real.device)
        yy = y if n_labels(c) else None
        aug = (lambda x: diff_augment(x, c.diffaug)) if c.diffaug else (lambda x: x)

        # (1) update D: push D(x) up and D(G(z)) down ------------------------------------
        opts["D"].zero_grad(set_to_none=True)
        fake = self.G(z, yy)  # (B, 1, 28, 28)
        if c.r1 > 0:
            real = real.detach().requires_grad_(True)
        if self.D.one_pass:  # the same logits in one pass over both: half the small operations
            both = self.D(torch.cat([aug(real), aug(fake.detach())]), None if yy is None else yy.repeat(2))
            d_real, d_fake = both.float().split(B)  # (B,) logits each; detach: this half does not train G
        else:
            d_real = self.D(aug(real), yy).float()  # (B,) logits
            d_fake = self.D(aug(fake.detach()), yy).float()  # detach: this half does not train G
        loss_d = d_loss(c.loss, d_real, d_fake)
        if c.loss == "wgan-gp":
            loss_d = loss_d + c.gp_weight * gradient_penalty(self.D, real.detach(), fake.detach(), yy)
        if c.r1 > 0:
            # Mescheder et al. 2018, Eq. 9: R1 = (gamma / 2) E_x[||grad_x D(x)||^2], real data only
            grad, = torch.autograd.grad(d_real.sum(), real, create_graph=True)  # (B, 1, 28, 28)
            loss_d = loss_d + c.r1 / 2 * grad.pow(2).flatten(1).sum(1).mean()
        loss_d.backward()
        opts["D"].step()
        # under autocast the bf16 copies of D's weights are cached until the context exits;
        # drop them so that the G half below sees the D just updated
        torch.clear_autocast_cache()

        # (2) update G: make D call G(z) real ----------------------------------------------
        opts["G"].zero_grad(set_to_none=True)
        # D's weights take no gradient here: D's next half starts from zero anyway, and their
        # products were 5% of a lesson step (BENCHMARKS.md, issue 31); G's gradient is the same
        self.D.requires_grad_(False)
        try:
            d_fake_g = self.D(aug(fake), yy).float()  # (B,) with the just-updated D
            if c.topk < 1:  # Sinha et al. 2020, Alg. 1: the worst fakes' gradients point G the wrong way
                d_fake_g = d_fake_g.topk(max(1, round(B * self.topk_share()))).values  # (k,)
            loss_g = g_loss(c.loss, d_fake_g)
            loss_g.backward()
        finally:
            self.D.requires_grad_(True)
        opts["G"].step()
        self._update_ema()

        # D(x) and D(G(z)) as probabilities for BCE, raw critic scores otherwise
        score = torch.sigmoid if c.loss == "bce" else (lambda t: t)
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(),
                "D(x)": score(d_real).mean().item(), "D(G(z))": score(d_fake).mean().item()}

    def topk_share(self) -> float:
        """The share of fakes G learns from at this step: 1, shrinking to ``topk``."""
        return max(self.config.topk, self.config.topk_decay ** int(self.steps_done))

    @torch.no_grad()
    def _update_ema(self):
        self.steps_done += 1
        if self.G_ema is None:
            return
        # warm-up: a short average early on, so the EMA does not drag the random init along
        n = self.steps_done.item()
        decay = min(self.config.ema, (1 + n) / (10 + n))
        # one call for all the tensors: a lesson step is short enough that a call a tensor shows
        torch._foreach_lerp_(list(self.G_ema.parameters()), list(self.G.parameters()), 1 - decay)
        torch._foreach_copy_(list(self.G_ema.buffers()), list(self.G.buffers()))  # BatchNorm statistics

    @property
    def sampler(self) -> nn.Module:
        """The generator that draws: the averaged one when there is one."""
        return self.G_ema if self.G_ema is not None else self.G

    def labels_for(self, n, labels=None, generator=None):
        """Labels for a conditional G: one label for all, one per image, or random (None when G
        takes none). Random labels are uniform over the classes, or the clusters drawn by their
        share of the training images."""
        k = n_labels(self.config)
        if not k:
            return None
        if labels is None and self.config.clusters:
            share = self.cluster_share.float().cpu()
            share = share if share.sum() > 0 else torch.ones(k)  # not fitted yet: uniform
            labels = torch.multinomial(share, n, replacement=True, generator=generator)
        elif labels is None:
            labels = torch.randint(k, (n,), generator=generator)
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"Class labels must lie in 0..{k - 1}")
        return labels.expand(n).to(self.device)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels=None) -> torch.Tensor:
        """n images (n, 1, 28, 28) in [0, 1] on the CPU. The noise is drawn on the CPU from
        ``generator``, so one seed gives the same images on every run; scaled by the config's
        truncation psi."""
        was_training = self.training
        self.eval()
        z = torch.randn(n, self.config.z_dim, generator=generator).to(self.device) * self.config.truncation
        y = self.labels_for(n, labels, generator)
        x = self.sampler(z, y).float().add(1).div(2).clamp(0, 1).cpu()
        self.train(was_training)
        return x

    @torch.no_grad()
    def generate_from(self, z: torch.Tensor, labels=None) -> torch.Tensor:
        """Decode given noise vectors (a latent walk): (n, z_dim) -> (n, 1, 28, 28) in [0, 1]."""
        was_training = self.training
        self.eval()
        y = self.labels_for(len(z), labels)
        x = self.sampler(z.to(self.device), y).float().add(1).div(2).clamp(0, 1).cpu()
        self.train(was_training)
        return x

    @torch.no_grad()
    def preview(self):
        from genai.images import grid_image

        was_training = self.training
        self.eval()
        y = self.fixed_y if n_labels(self.config) else None
        x = self.sampler(self.fixed_z, y).float().add(1).div(2).clamp(0, 1).cpu()
        self.train(was_training)
        return grid_image(x, nrow=10 if self.config.conditional else 8)

    def evaluate(self, data, n: int = 1000) -> dict[str, float]:
        """Sample quality on held-out real images: classifier FID, class-histogram entropy and
        the confident share (see genai/metrics.py). Empty if no classifier is available."""
        from genai import metrics

        if self._quality is None or self._quality.data is not data:
            self._quality = metrics.SampleQuality.for_data(data)
        if self._quality is None:
            self.no_eval_reason = (f"the FID needs at least {metrics.SampleQuality.MIN_REAL} held-out images and "
                                   f"{data.name} has {len(data.heldout_x)}, so it is skipped; the samples still show "
                                   "how the run goes")
            return {}
        labels = torch.arange(n) % self.config.n_classes if self.config.conditional else None
        fake = self.sample(n, torch.Generator().manual_seed(0), labels=labels)
        return self._quality.score(fake, labels)


# -- a class's lesson runs as one batched model (genai/cohort.py runs the loop) -----------------
# A lesson GAN is a tiny network: one step of it is many small matmuls whose dispatch costs more
# than their arithmetic. K runs stacked are one network whose every layer is one batched matmul
# (torch.func.vmap over functional_call), and each still trains as it would alone: its own slice
# of the weights, its own batches and noise, its own Adam moments and step count
# (bench/cohort.py measures the speed; tests/test_cohort.py that members stay apart).

def batchable(c: Config) -> bool:
    """Whether runs of this config can train stacked: the MLP (the lesson's; the DCGAN's steps
    are not measured stacked) with the plain losses, without the per-sample penalties, schedules
    and parametrised layers that the stacked step leaves out."""
    return (c.arch == "mlp" and c.loss in ("bce", "hinge") and c.r1 == 0 and c.topk == 1 and not c.diffaug and not c.clusters
            and not c.spectral_norm and not c.conditional and c.ema > 0)


class Cohort:
    """K runs of one config as one model: each parameter of each network is one (K, *shape)
    tensor, a row a member (``torch.func.stack_module_state``'s layout), which the forward passes
    take as they are; Adam and the EMA are a few whole-tensor operations a step."""

    NETS = ("G", "D", "E")  # E: the moving average of G's weights, which samples (Model.G_ema)

    def __init__(self, config: Config, device="cpu"):
        from torch.func import functional_call

        self.config, self.device = config, torch.device(device)
        self.base = Model(config).to(self.device)  # the networks vmap calls with each member's weights
        self.base.G_ema.eval()  # samples with the running statistics, as Model.sample does
        nets = {"G": self.base.G, "D": self.base.D, "E": self.base.G_ema}
        self.p = {k: {n: torch.zeros(0, *p.shape, device=self.device) for n, p in m.named_parameters()}
                  for k, m in nets.items()}
        self.m = {k: {n: t.clone() for n, t in self.p[k].items()} for k in ("G", "D")}  # Adam's moments
        self.v = {k: {n: t.clone() for n, t in self.p[k].items()} for k in ("G", "D")}
        self.t = torch.zeros(0, device=self.device)  # each member's step count (Adam's t, the EMA's n)
        self.buf = {n: torch.zeros(0, *b.shape, dtype=b.dtype, device=self.device)
                    for n, b in self.base.G.named_buffers()}  # G's batch-norm statistics
        self._g = lambda p, b, z: functional_call(self.base.G, (p, b), (z,))
        self._e = lambda p, b, z: functional_call(self.base.G_ema, (p, b), (z,))
        self._d = lambda p, x: functional_call(self.base.D, p, (x,))

    def __len__(self) -> int:
        return len(self.t)

    # -- members in and out
    @torch.no_grad()
    def add(self, model: Model, opts: dict) -> None:
        """Stack a model (fresh, or loaded from a checkpoint with its optimizers' state) as the last row."""
        nets = {"G": model.G, "D": model.D, "E": model.G_ema}
        for k, net in nets.items():
            for n, p in net.named_parameters():
                self.p[k][n] = torch.cat([self.p[k][n].detach(), p.detach().to(self.device)[None]])
                self.p[k][n].requires_grad_(k != "E")
                if k != "E":
                    st = opts[k].state.get(p, {})
                    for mom, name in ((self.m, "exp_avg"), (self.v, "exp_avg_sq")):
                        row = st[name] if name in st else torch.zeros_like(p)
                        mom[k][n] = torch.cat([mom[k][n], row.detach().to(self.device)[None]])
        self.t = torch.cat([self.t, torch.tensor([float(model.steps_done)], device=self.device)])
        for n, b in model.G.named_buffers():
            self.buf[n] = torch.cat([self.buf[n], b.detach().to(self.device)[None]])

    @torch.no_grad()
    def keep(self, rows: list[int]) -> None:
        """Drop every member not in ``rows`` (they finished, stopped or failed)."""
        idx = torch.tensor(rows, dtype=torch.long, device=self.device)
        for k in self.NETS:
            self.p[k] = {n: t.detach()[idx].requires_grad_(k != "E") for n, t in self.p[k].items()}
        for k in ("G", "D"):
            self.m[k] = {n: t[idx] for n, t in self.m[k].items()}
            self.v[k] = {n: t[idx] for n, t in self.v[k].items()}
        self.t = self.t[idx]
        self.buf = {n: b[idx] for n, b in self.buf.items()}

    @torch.no_grad()
    def member(self, i: int) -> tuple[Model, dict]:
        """Row ``i`` as a model of its own with Adam optimizers holding its state: what it
        evaluates, saves (a checkpoint that resumes alone or in a cohort) and samples with."""
        model = Model(self.config).to(self.device)
        for k, net in (("G", model.G), ("D", model.D), ("E", model.G_ema)):
            for n, p in net.named_parameters():
                p.copy_(self.p[k][n][i])
        for net in (model.G, model.G_ema):
            for n, b in net.named_buffers():
                b.copy_(self.buf[n][i])
        t = int(self.t[i])
        model.steps_done.fill_(t)
        opts = model.configure_optimizers()
        for k, net in (("G", model.G), ("D", model.D)):
            if t:
                state = {j: {"step": torch.tensor(float(t)), "exp_avg": self.m[k][n][i].clone(),
                             "exp_avg_sq": self.v[k][n][i].clone()} for j, (n, _) in enumerate(net.named_parameters())}
                opts[k].load_state_dict({"state": state, "param_groups": opts[k].state_dict()["param_groups"]})
        return model, opts

    # -- training
    def make_batch(self, data, batch_size: int, generators: list) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's batch and noise from its own generator: real (K, B, 1, 28, 28) in
        [-1, 1], z (K, B, z_dim)."""
        real = torch.stack([data.batch(batch_size, g)[0] for g in generators]).to(self.device) * 2 - 1
        z = torch.stack([torch.randn(batch_size, self.config.z_dim, generator=g) for g in generators])
        return real, z.to(self.device)

    def train_step(self, batch, active: torch.Tensor) -> torch.Tensor:
        """One step of every ``active`` member ((K,) bool; a paused one sits it out). Returns
        (K, 4): loss_d, loss_g, D(x) and D(G(z)) as Model.train_step reports them."""
        from torch.func import vmap

        c, (real, z) = self.config, batch
        kept = None if active.all() else self._state_copy()
        self.t += active
        # (1) update D: push D(x) up and D(G(z)) down, every member on its own batch -------------
        fake = vmap(self._g)(self.p["G"], self.buf, z)  # (K, B, 1, 28, 28)
        d_real = vmap(self._d)(self.p["D"], real)  # (K, B) logits
        d_fake = vmap(self._d)(self.p["D"], fake.detach())  # detach: this half does not train G
        loss_d = vmap(lambda r, f: d_loss(c.loss, r, f))(d_real, d_fake)  # (K,) each member's own loss
        # members share no weight: the sum's gradient on a member's row is its own loss's gradient
        self._adam("D", torch.autograd.grad(loss_d.sum(), list(self.p["D"].values())), c.lr_d)
        # (2) update G: make each member's just-updated D call its G(z) real ----------------------
        d_fake_g = vmap(self._d)(self.p["D"], fake)  # (K, B)
        loss_g = vmap(lambda f: g_loss(c.loss, f))(d_fake_g)  # (K,)
        self._adam("G", torch.autograd.grad(loss_g.sum(), list(self.p["G"].values())), c.lr_g)
        self._update_ema()
        if kept is not None:  # a member sitting out keeps its weights, moments, step and statistics
            self._state_restore(kept, active)
        score = torch.sigmoid if c.loss == "bce" else (lambda t: t)
        return torch.stack([loss_d, loss_g, score(d_real).mean(1), score(d_fake).mean(1)], 1).detach().float().cpu()

    @torch.no_grad()
    def _adam(self, net: str, grads, lr: float) -> None:
        """torch.optim.Adam's update (Kingma & Ba 2015, Alg. 1), row by row with each member's t:
        m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""
        b1, b2, eps = self.config.beta1, self.config.beta2, 1e-8
        t = self.t.clamp_min(1)
        step, root_bc2 = lr / (1 - b1 ** t), (1 - b2 ** t).sqrt()  # (K,) each
        ps, ms, vs = list(self.p[net].values()), list(self.m[net].values()), list(self.v[net].values())
        torch._foreach_lerp_(ms, list(grads), 1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, list(grads), list(grads), 1 - b2)
        for p, m, v in zip(ps, ms, vs):
            shape = (-1, *[1] * (m.dim() - 1))  # a member's factor over its row
            p.addcdiv_(m * step.view(shape), v.sqrt().div_(root_bc2.view(shape)).add_(eps), value=-1)

    @torch.no_grad()
    def _update_ema(self) -> None:
        # Model._update_ema row by row: decay min(ema, (1 + n) / (10 + n)) after n steps
        decay = torch.clamp((1 + self.t) / (10 + self.t), max=self.config.ema)
        for n, e in self.p["E"].items():
            e.lerp_(self.p["G"][n].detach(), (1 - decay).view(-1, *[1] * (e.dim() - 1)))

    def _state_copy(self) -> list[torch.Tensor]:
        return [t.detach().clone() for t in self._state()]

    def _state(self) -> list[torch.Tensor]:
        out = [t for k in self.NETS for t in self.p[k].values()]
        out += [t for k in ("G", "D") for mom in (self.m, self.v) for t in mom[k].values()]
        return out + [self.t, *self.buf.values()]

    @torch.no_grad()
    def _state_restore(self, kept: list[torch.Tensor], active: torch.Tensor) -> None:
        for now, before in zip(self._state(), kept):
            now.copy_(torch.where(active.view(-1, *[1] * (now.dim() - 1)), now, before))

    @torch.no_grad()
    def previews(self) -> list:
        """Every member's preview grid (Model.preview), drawn in one batched pass."""
        from torch.func import vmap

        from genai.images import grid_image

        x = vmap(self._e, in_dims=(0, 0, None))(self.p["E"], self.buf, self.base.fixed_z)
        x = x.float().add(1).div(2).clamp(0, 1).cpu()  # (K, 64, 1, 28, 28)
        return [grid_image(xi, nrow=8) for xi in x]


# a cohort of K lesson runs takes about a + b K seconds a step on one thread (bench/cohort.py:
# 95 ms for 15): the queue's guess (genai/jobs.py) until runs of its kind have finished on the server
COHORT_STEP_S = (0.0, 0.0063)
