"""Variational autoencoders for 28x28 images (Kingma & Welling 2014, "Auto-Encoding Variational
Bayes"): an MLP VAE (784-400-z, as in pytorch/examples vae/main.py) and a small conv VAE.

The encoder gives q(z|x) = N(mu, diag(exp(logvar))); the decoder gives Bernoulli logits for
each pixel, p(x|z). Training minimises the negative ELBO per image,

    loss = recon + beta * kl,   recon = -log p(x|z) summed over 784 pixels,   kl = KL(q(z|x) || N(0, I)),

in nats per image (beta = 1 is the plain VAE; beta > 1 is the beta-VAE of Higgins et al. 2017).
Pixels are grey levels in [0, 1] used as Bernoulli targets, as pytorch/examples does: this is not
a normalised likelihood for grey values, so the numbers are not comparable with the ~85-100 nats
published for *binarised* MNIST.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from genai.locales import said

FAMILY = "vae"
DATA_KIND = "image"
ARCHS = ("conv", "mlp")
PIXELS = 28 * 28
EVAL_IMAGES = 2000


MAX_BETA = 1000  # far past the values beta-VAEs are trained with; a bound, so that a typo is a message


@dataclass
class Config:
    arch: str = "conv"  # "conv" or "mlp"
    z_dim: int = 16
    width: int = 32  # conv: channels of the 14x14 layer (the 7x7 one has 2x); MLP: hidden units
    beta: float = 1.0  # weight of the KL term; 1 is the ELBO
    lr: float = 1e-3
    shift: int = 0  # augmentation: move each training image by up to this many pixels (0: off)
    deep: bool = False  # conv: a 3x3 convolution more at each resolution, in the encoder and the decoder
    decay_steps: int = 0  # cosine decay of the learning rate from lr to min_lr by this step; 0: constant
    min_lr: float = 0.0

    def __post_init__(self):
        # also refuses NaN; past 1,000 the KL term swamps the reconstruction (a beta of 1e9 diverged
        # at its first step, and the message blamed the learning rate)
        if not 0 <= self.beta <= MAX_BETA:
            raise said(ValueError, "err.beta", value=self.beta, most=f"{MAX_BETA:,}")


PRESETS = {
    "conv-2d": dict(arch="conv", z_dim=2, width=32),  # a 2-D latent you can draw as a map
    "conv-16d": dict(arch="conv", z_dim=16, width=32),  # sharper reconstructions and samples
    # the shipped 16-D model: deeper, and trained on digits shifted by up to a pixel (it overfits
    # 8,000 digits later); 4x slower a step; with a longer run, 107.3 -> 99.9 nats held out (BENCHMARKS.md)
    "conv-16d-deep": dict(arch="conv", z_dim=16, width=32, deep=True, shift=1),
    "mlp-2d": dict(arch="mlp", z_dim=2, width=400),
    "mlp-20d": dict(arch="mlp", z_dim=20, width=400),  # pytorch/examples vae: 784-400-20
    # digits on a 2-core CPU within about a minute: pytorch/examples' 784-400-20 at twice its
    # learning rate, decayed to 1e-4 over the ~4,000 steps one thread does in 60 s (BENCHMARKS.md)
    "cpu-fast": dict(arch="mlp", z_dim=20, width=400, lr=2e-3, decay_steps=4000, min_lr=1e-4),
    # a student's run in class: the cpu-fast MLP with a 2-D latent, so the map can be drawn
    "lesson": dict(arch="mlp", z_dim=2, width=256, lr=2e-3),
    "tiny": dict(arch="conv", z_dim=4, width=4),  # tests
}
LESSON = dict(preset="lesson", steps=2000, batch_size=64)
# seconds a step takes on this server, for the queue's estimates (genai/jobs.py): the lesson as
# measured alone on one thread (6 s for 2,000 steps), None for any other preset (a rough figure)
SECONDS_PER_STEP = {"lesson": 0.003, None: 0.01}


class Encoder(nn.Module):
    """x (B, 1, 28, 28) in [0, 1] -> mu, logvar, each (B, z_dim)."""

    def __init__(self, c: Config):
        super().__init__()
        w = c.width
        if c.arch == "mlp":
            self.features = nn.Sequential(nn.Flatten(), nn.Linear(PIXELS, w), nn.ReLU(True))
            feat = w
        elif c.deep:
            self.features = nn.Sequential(
                # input: 1 x 28 x 28
                nn.Conv2d(1, w, 3, 1, 1), nn.ReLU(True),
                nn.Conv2d(w, w, 4, 2, 1), nn.ReLU(True),
                # state size: (w) x 14 x 14
                nn.Conv2d(w, w, 3, 1, 1), nn.ReLU(True),
                nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(True),
                # state size: (2w) x 7 x 7
                nn.Flatten(),
            )
            feat = 2 * w * 7 * 7
        else:
            self.features = nn.Sequential(
                # input: 1 x 28 x 28
                nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(True),
                # state size: (w) x 14 x 14
                nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(True),
                # state size: (2w) x 7 x 7
                nn.Flatten(),
            )
            feat = 2 * w * 7 * 7
        self.mu = nn.Linear(feat, c.z_dim)
        self.logvar = nn.Linear(feat, c.z_dim)  # log sigma^2: any real number is a valid variance

    def forward(self, x):
        h = self.features(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    """z (B, z_dim) -> Bernoulli logits (B, 1, 28, 28); sigmoid gives pixel probabilities."""

    def __init__(self, c: Config):
        super().__init__()
        w = c.width
        if c.arch == "mlp":
            self.net = nn.Sequential(nn.Linear(c.z_dim, w), nn.ReLU(True), nn.Linear(w, PIXELS))
        elif c.deep:
            self.net = nn.Sequential(
                nn.Linear(c.z_dim, 2 * w * 7 * 7), nn.ReLU(True), nn.Unflatten(1, (2 * w, 7, 7)),
                # state size: (2w) x 7 x 7
                nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(True),
                # state size: (w) x 14 x 14
                nn.Conv2d(w, w, 3, 1, 1), nn.ReLU(True),
                nn.ConvTranspose2d(w, w, 4, 2, 1), nn.ReLU(True),
                # state size: (w) x 28 x 28
                nn.Conv2d(w, 1, 3, 1, 1),
                # state size: 1 x 28 x 28 (logits)
            )
        else:
            self.net = nn.Sequential(
                nn.Linear(c.z_dim, 2 * w * 7 * 7), nn.ReLU(True), nn.Unflatten(1, (2 * w, 7, 7)),
                # state size: (2w) x 7 x 7
                nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(True),
                # state size: (w) x 14 x 14
                nn.ConvTranspose2d(w, 1, 4, 2, 1),
                # state size: 1 x 28 x 28 (logits: no sigmoid here, the loss takes logits)
            )

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


def random_shift(x, s: int, generator):
    """(B, 1, H, W) -> each image moved by its own random (dy, dx) in [-s, s], the border filled
    with background: with only 8,000 training digits, the model then sees many more, and learns
    less of their exact positions (it overfits later)."""
    B, _, H, W = x.shape
    padded = F.pad(x, (s, s, s, s))
    dy, dx = torch.randint(0, 2 * s + 1, (2, B), generator=generator)
    rows = (dy[:, None] + torch.arange(H))[:, :, None]  # (B, H, 1)
    cols = (dx[:, None] + torch.arange(W))[:, None, :]  # (B, 1, W)
    return padded[torch.arange(B)[:, None, None], 0, rows, cols].unsqueeze(1)


def reparameterize(mu, logvar, eps):
    # The reparameterisation trick (Kingma & Welling 2014, Sec. 2.4): z = mu + sigma * eps with
    # eps ~ N(0, I) drawn outside the graph, so gradients flow to mu and logvar through z.
    return mu + torch.exp(0.5 * logvar) * eps


def vae_loss(logits, x, mu, logvar):
    """(recon, kl), each in nats per image, computed in float32 (safe under bf16 autocast).

    Per image = SUM over the 784 pixels and the z dimensions (the log-likelihood of one image is a
    sum over its pixels, and the KL of its latent a sum over the z dimensions), then MEAN over
    the batch. Averaging over pixels instead divides recon by 784 but not the KL: a beta-VAE
    with beta = 784 in disguise, whose samples come out blurred. Summing over the batch (as
    pytorch/examples does) is the same objective but ties the step size to the batch size.
    Per image keeps beta honest and the numbers comparable across batch sizes."""
    B = x.size(0)
    # Bernoulli log-likelihood of the grey levels: BCE with logits (stable, no log(0))
    recon = F.binary_cross_entropy_with_logits(logits.float(), x.float(), reduction="sum") / B
    mu, logvar = mu.float(), logvar.float()
    # Kingma & Welling 2014, Appendix B: -KL = 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / B
    return recon, kl


def slerp(z1, z2, t):
    """Spherical interpolation (Shoemake 1985; White 2016 for latent walks) at weights t (T,).
    Falls back to a straight line when z1 and z2 are (anti-)parallel, where the arc is undefined."""
    a, b = z1.double(), z2.double()
    cos = torch.dot(a / a.norm().clamp_min(1e-12), b / b.norm().clamp_min(1e-12)).clamp(-1, 1)
    omega = torch.arccos(cos)
    if math.sin(omega.item()) < 1e-6:
        return torch.lerp(a, b, t.double()[:, None])
    s = torch.sin(omega)
    return (torch.sin((1 - t.double()) * omega)[:, None] * a + torch.sin(t.double() * omega)[:, None] * b) / s


class Model(nn.Module):
    family = FAMILY

    def __init__(self, config: Config):
        super().__init__()
        if config.arch not in ARCHS:
            raise ValueError(f"Unknown VAE architecture {config.arch!r}; choose one of {', '.join(ARCHS)}")
        if config.z_dim < 1 or config.width < 1:
            raise ValueError("A VAE needs z_dim >= 1 and width >= 1")
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        g = torch.Generator().manual_seed(1234)  # fixed noise: preview before prepare() shows one z over time
        self.register_buffer("fixed_z", torch.randn(64, config.z_dim, generator=g), persistent=False)
        self.fixed_x = None  # 16 held-out images for the preview, set by prepare()

    @property
    def device(self):
        return self.fixed_z.device

    def configure_optimizers(self):
        return {"opt": torch.optim.Adam(self.parameters(), lr=self.config.lr)}

    def prepare(self, data):
        self.fixed_x = data.heldout_float(16)[0]  # kept on the CPU, moved when shown

    def make_batch(self, data, batch_size, generator):
        x, _ = data.batch(batch_size, generator)  # labels unused: a VAE is unsupervised
        if self.config.shift:
            x = random_shift(x, self.config.shift, generator)
        return x.to(self.device)

    def _losses(self, x, eps):
        mu, logvar = self.encoder(x)
        logits = self.decoder(reparameterize(mu, logvar, eps))
        return vae_loss(logits, x, mu, logvar)

    def lr_at(self, step: int) -> float:
        """Cosine decay from lr to min_lr by ``decay_steps`` (Loshchilov & Hutter 2017, "SGDR",
        without restarts), then min_lr; a constant lr when decay_steps is 0."""
        c = self.config
        if c.decay_steps <= 0:
            return c.lr
        t = min(1.0, step / c.decay_steps)
        return c.min_lr + 0.5 * (1 + math.cos(math.pi * t)) * (c.lr - c.min_lr)

    def train_step(self, batch, opts) -> dict[str, float]:
        x = batch  # (B, 1, 28, 28) in [0, 1]
        if self.config.decay_steps:  # the step count is Adam's own, so a resumed run goes on where it was
            done = next(iter(opts["opt"].state.values()), {}).get("step", 0)
            for g in opts["opt"].param_groups:
                g["lr"] = self.lr_at(int(done))
        opts["opt"].zero_grad(set_to_none=True)
        eps = torch.randn(x.size(0), self.config.z_dim, device=x.device)
        recon, kl = self._losses(x, eps)
        loss = recon + self.config.beta * kl
        loss.backward()
        opts["opt"].step()
        return {"loss": loss.item(), "recon": recon.item(), "kl": kl.item()}

    @torch.no_grad()
    def evaluate(self, data, n: int = EVAL_IMAGES) -> dict[str, float]:
        """Held-out loss per image over the first ``n`` held-out images: a one-sample estimate
        of the negative ELBO (beta-weighted, like training), with z = mu + sigma * eps for eps
        from a fixed seed, so two evaluations differ only because the model changed."""
        x_all = data.heldout_float(n)[0]
        g = torch.Generator().manual_seed(0)
        total = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
        for x in x_all.split(500):
            eps = torch.randn(len(x), self.config.z_dim, generator=g).to(self.device)
            recon, kl = self._losses(x.to(self.device), eps)
            for k, v in (("recon", recon), ("kl", kl), ("loss", recon + self.config.beta * kl)):
                total[k] += v.item() * len(x)  # per-image means -> sums, divided once below
        return {k: v / len(x_all) for k, v in total.items()}

    @torch.no_grad()
    def encode(self, x: torch.Tensor):
        """Images (n, 1, 28, 28) in [0, 1] -> (mu, logvar), each (n, z_dim), float on the CPU."""
        mu, logvar = self.encoder(x.reshape(-1, 1, 28, 28).float().to(self.device))
        return mu.float().cpu(), logvar.float().cpu()

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents (n, z_dim) -> pixel probabilities (n, 1, 28, 28) in [0, 1] on the CPU: the
        decoder's mean image, not a Bernoulli draw (a draw would be salt-and-pepper noise)."""
        logits = self.decoder(z.reshape(-1, self.config.z_dim).float().to(self.device))
        return torch.sigmoid(logits.float()).cpu()

    generate_from = decode  # the name the GAN's latent walk uses

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images (n, 1, 28, 28) in [0, 1] on the CPU, decoded from z ~ N(0, I). The noise is
        drawn on the CPU from ``generator``, so one seed gives the same images on every run."""
        return self.decode(torch.randn(n, self.config.z_dim, generator=generator))

    @staticmethod
    def interpolate(z1: torch.Tensor, z2: torch.Tensor, steps: int, mode: str = "linear") -> torch.Tensor:
        """(steps, z_dim) latents from z1 to z2; the first row is exactly z1, the last exactly z2.
        "slerp" walks the arc between them, which keeps the norm that N(0, I) samples have
        (near sqrt(z_dim)) where a straight line dips towards the unlikely origin."""
        if steps < 2:
            raise ValueError("Interpolation needs at least 2 steps")
        if mode not in ("linear", "slerp"):
            raise said(ValueError, "err.linear_or_slerp")
        z1, z2 = z1.reshape(-1), z2.reshape(-1)
        t = torch.linspace(0, 1, steps)
        if mode == "linear":
            out = torch.lerp(z1.double(), z2.double(), t.double()[:, None])
        else:
            out = slerp(z1, z2, t)
        out = out.to(z1.dtype)
        out[0], out[-1] = z1, z2  # exact ends, whatever the rounding inside
        return out

    @torch.no_grad()
    def latent_map(self, n: int = 15) -> torch.Tensor:
        """For a 2-D latent: decode an n x n grid of z through the Gaussian's inverse CDF over the
        unit square (Kingma & Welling 2014, Fig. 4), so equal areas hold equal prior mass.
        Returns (n * n, 1, 28, 28); row i has z[1] falling, column j has z[0] rising."""
        if self.config.z_dim != 2:
            raise ValueError(f"A latent map needs a 2-D latent; this VAE has z_dim={self.config.z_dim}")
        q = torch.linspace(0.5 / n, 1 - 0.5 / n, n)  # cell centres: avoid the infinite 0 and 1
        g = torch.distributions.Normal(0.0, 1.0).icdf(q)
        zy, zx = torch.meshgrid(g.flip(0), g, indexing="ij")
        return self.decode(torch.stack([zx.reshape(-1), zy.reshape(-1)], 1))

    @torch.no_grad()
    def preview(self):
        """Fixed held-out digits (top two rows) over their reconstructions (bottom two rows),
        decoded from the encoder's mean; samples from fixed noise before prepare()."""
        from genai.images import grid_image

        if self.fixed_x is None:
            return grid_image(self.decode(self.fixed_z), nrow=8)
        recon = self.decode(self.encode(self.fixed_x)[0])
        return grid_image(torch.cat([self.fixed_x, recon]), nrow=8)
