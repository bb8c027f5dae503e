"""Denoising diffusion for 28x28 images (Ho et al. 2020, "Denoising Diffusion Probabilistic
Models"), class-conditional with classifier-free guidance (Ho & Salimans 2022), sampled with the
full DDPM chain, DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models") or, by default,
UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
Diffusion Models"), a higher-order solver that needs half DDIM's steps for the same digits.

The forward process adds Gaussian noise in T steps with a fixed schedule beta_1..beta_T;
with alpha_bar_t = prod_{s<=t} (1 - beta_s) it has a closed form (Ho et al. eq. 4):

    x_t = sqrt(alpha_bar_t) * x_0 + sqrt(1 - alpha_bar_t) * eps,   eps ~ N(0, I)

A network eps_theta(x_t, t, y) learns to tell the noise back, by the simplified loss (eq. 14):

    L_simple = E_{t, x_0, eps} || eps - eps_theta(x_t, t, y) ||^2

and sampling runs the chain backwards from pure noise x_T ~ N(0, I). The network may instead
output v = sqrt(alpha_bar_t) * eps - sqrt(1 - alpha_bar_t) * x_0 (Salimans & Ho 2022,
"Progressive Distillation", sec. 4), trained by the same squared error on v. With x_t fixed, an
error in v is an error in eps divided by sqrt(alpha_bar_t), so

    || v - v_theta ||^2 = (1 + 1 / SNR_t) * || eps - eps_theta ||^2,
    SNR_t = alpha_bar_t / (1 - alpha_bar_t):

more weight on the noisiest steps, where a digit's shape is decided. Measured here: after 500
steps of the small live preset, 1.56 times the FID floor with v against 32 with eps.

Guidance mixes the conditional and unconditional predictions of the one network (Ho & Salimans
2022, eq. 6, written with s = 1 + w so that s = 0 is unconditional and s = 1 plain conditional):

    eps_hat = eps_theta(x_t, t, null) + s * (eps_theta(x_t, t, y) - eps_theta(x_t, t, null))

Guidance above 1 is applied only in the middle of the chain, t/T in [guide_from, guide_to)
(Kynkaanniemi et al. 2024, "Applying Guidance in a Limited Interval Improves Sample and
Distribution Quality in Diffusion Models"); elsewhere the step is plainly conditional (s = 1).
Early on, guidance only pushes pure noise towards one stereotyped digit; late, it thickens
strokes. Measured here (BENCHMARKS.md): better digits and fewer network passes.

What comes from ``diffusers``: the network (``UNet2DModel``: ResNet blocks, sinusoidal time
embedding, a class embedding added to it) and the schedules and update rules (``DDPMScheduler``,
``DDIMScheduler``, ``UniPCMultistepScheduler``; the cosine schedule of Nichol & Dhariwal 2021).
Written here, because no diffusers class does it for a training loop like this one: the loss,
dropping labels for guidance, the guided noise estimate and its interval, the moving average of
the weights (as the GAN's), and sampling that yields every step so that the page can show the
reverse process as it happens.
A fresh scheduler is made for each call: they keep state (their timesteps), and the page
samples from one cached model in several threads at once.
Images are scaled to [-1, 1] inside and returned in [0, 1].
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from genai.locales import said

FAMILY = "diffusion"
DATA_KIND = "image"
SAMPLERS = ("unipc", "ddim", "ddpm")
PREDICTIONS = ("epsilon", "v_prediction")  # diffusers' names for what the network outputs
SAMPLER_NAMES = {"unipc": "UniPC", "ddim": "DDIM", "ddpm": "DDPM"}
SCHEDULES = ("squaredcos_cap_v2", "linear")
WEIGHTINGS = ("none", "p2")  # the loss over t: as Ho et al., or P2 (Choi et al. 2022), see Model.loss


@dataclass
class Config:
    width: int = 16  # channels at 28x28; 2x at 14x14 and 4x at 7x7
    layers_per_block: int = 1  # ResNet blocks at each resolution
    attention: bool = False  # self-attention at 7x7 (and in the middle block)
    middle: bool = False  # a middle block at 7x7 (two ResNet blocks around self-attention) without the rest
    conditional: bool = True  # class label in: ask for a digit, and guidance
    n_classes: int = 10
    p_uncond: float = 0.1  # share of training labels dropped, so one network also learns p(x)
    timesteps: int = 1000  # T
    beta_schedule: str = "squaredcos_cap_v2"  # cosine (Nichol & Dhariwal 2021), or Ho et al.'s "linear"
    prediction: str = "epsilon"  # the network outputs the noise (Ho et al.) or "v_prediction" (see above)
    weighting: str = "none"  # "p2": the loss of step t weighted by 1 / (1 + SNR(t)) (Model.loss)
    lr: float = 1e-3
    decay_steps: int = 0  # cosine decay of the learning rate from lr to min_lr by this step; 0: constant
    min_lr: float = 0.0
    ema: float = 0.999  # sample from a moving average of the weights (0 turns it off)
    sample_steps: int = 10  # sampler steps the previews, the evaluation and the page use by default
    guidance: float = 3.0  # s above: 0 unconditional, 1 conditional, > 1 guided (in the interval below)
    guide_from: float = 0.5  # guidance above 1 only while t/T is in [guide_from, guide_to)
    guide_to: float = 0.9

    def __post_init__(self):
        if not 0 <= self.p_uncond <= 1:  # also refuses NaN
            raise said(ValueError, "err.p_uncond", value=self.p_uncond)
        if not 0 <= self.guide_from <= self.guide_to <= 1:
            raise ValueError(f"The guidance interval must have 0 <= guide_from <= guide_to <= 1 "
                             f"(got {self.guide_from}, {self.guide_to})")


PRESETS = {
    # the shipped model: 0.46 M parameters (BENCHMARKS.md, "Diffusion")
    "small": dict(width=16, layers_per_block=1),
    "medium": dict(width=32, layers_per_block=1),  # about 2.5x the compute a step: for a GPU
    # the most steps in 3 minutes of one CPU thread: a quarter of the small model's compute a step
    # (about 0.25 s at batch 64, so ~700 steps), a higher learning rate decayed over those steps,
    # a short average of the weights, and v-prediction, which draws digits after a few hundred steps
    # where eps-prediction draws blobs (BENCHMARKS.md: 1.03 times the FID floor after 180 s)
    "cpu-fast": dict(width=8, lr=2e-3, decay_steps=700, min_lr=2e-4, ema=0.99, prediction="v_prediction"),
    "lesson": dict(width=8, lr=2e-3, decay_steps=700, min_lr=2e-4, ema=0.99,  # cpu-fast, for a class
                   prediction="v_prediction"),
    "tiny": dict(width=4, sample_steps=2),  # tests
}
LESSON = dict(preset="lesson", steps=700, batch_size=64)
# seconds a step takes on this server, for the queue's estimates (genai/jobs.py): the lesson as
# measured alone on one thread (0.25 s a step, and its FID evaluations), None for any other preset
SECONDS_PER_STEP = {"lesson": 0.3, "cpu-fast": 0.3, None: 0.8}


def make_unet(c: Config) -> nn.Module:
    from diffusers import UNet2DModel

    attn = ("AttnDownBlock2D",) if c.attention else ("DownBlock2D",)
    return UNet2DModel(
        sample_size=28, in_channels=1, out_channels=1,
        # 28x28 (w) -> 14x14 (2w) -> 7x7 (4w), and back up with skip connections
        block_out_channels=(c.width, 2 * c.width, 4 * c.width), layers_per_block=c.layers_per_block,
        down_block_types=("DownBlock2D", "DownBlock2D", *attn),
        up_block_types=(*("AttnUpBlock2D" if c.attention else "UpBlock2D",), "UpBlock2D", "UpBlock2D"),
        mid_block_type="UNetMidBlock2D" if c.attention or c.middle else None,
        norm_num_groups=math.gcd(8, c.width),
        # label n_classes is "no label": the unconditional half of guidance
        num_class_embeds=c.n_classes + 1 if c.conditional else None,
    )


def timesteps_of(c: Config, steps: int, sampler: str = "unipc") -> list[int]:
    """The t a sampler visits with ``steps`` steps, from the noisiest down."""
    sched = make_scheduler(c, sampler)
    sched.set_timesteps(c.timesteps if sampler == "ddpm" else steps)
    return [int(t) for t in sched.timesteps]


def make_scheduler(c: Config, sampler: str = "ddpm"):
    from diffusers import DDIMScheduler, DDPMScheduler, UniPCMultistepScheduler

    kw = dict(num_train_timesteps=c.timesteps, beta_schedule=c.beta_schedule, prediction_type=c.prediction)
    if sampler == "ddpm":
        return DDPMScheduler(**kw, clip_sample=True)
    # "trailing": the few steps start at t = T, pure noise, as sampling assumes (Lin et al. 2024)
    if sampler == "ddim":
        return DDIMScheduler(**kw, clip_sample=True, timestep_spacing="trailing")
    # thresholding with a maximum of 1 is clipping the predicted x_0 to [-1, 1], as DDIM's clip_sample
    return UniPCMultistepScheduler(**kw, timestep_spacing="trailing", thresholding=True, sample_max_value=1.0)


def noise_to(x0: torch.Tensor, t: int, alphas_cumprod: torch.Tensor, generator=None):
    """Real digits x0 (n, 1, 28, 28) in [0, 1] noised to step t (0..T-1) by the forward process
    (Ho et al. eq. 4), what the network is trained to undo. Returns (x_t in [0, 1],
    sqrt(alpha_bar_t): how much of x0 is left)."""
    if not 0 <= int(t) < len(alphas_cumprod):
        raise ValueError(f"t must be from 0 to {len(alphas_cumprod) - 1} (got {t})")
    eps = torch.randn(x0.shape, generator=generator)
    a = alphas_cumprod[int(t)].float()
    x_t = a.sqrt() * (x0.float() * 2 - 1) + (1 - a).sqrt() * eps
    return x_t.add(1).div(2).clamp(0, 1), float(a.sqrt())


class Model(nn.Module):
    family = FAMILY

    def __init__(self, config: Config):
        super().__init__()
        if config.width < 1 or config.layers_per_block < 1 or config.timesteps < 2:
            raise ValueError("A diffusion model needs width >= 1, layers_per_block >= 1 and timesteps >= 2")
        if config.beta_schedule not in SCHEDULES:
            raise ValueError(f"Unknown noise schedule {config.beta_schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if config.prediction not in PREDICTIONS:
            raise ValueError(f"Unknown prediction {config.prediction!r}; choose one of {', '.join(PREDICTIONS)}")
        if config.weighting not in WEIGHTINGS:
            raise ValueError(f"Unknown loss weighting {config.weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
        self.config = config
        self.net = make_unet(config)
        self.net_ema = copy.deepcopy(self.net).requires_grad_(False) if config.ema > 0 else None
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        sched = make_scheduler(config)
        self.register_buffer("alphas_cumprod", sched.alphas_cumprod.float(), persistent=False)
        g = torch.Generator().manual_seed(1234)  # fixed noise: the preview shows one x_T over time
        self.register_buffer("fixed_noise", torch.randn(40, 1, 28, 28, generator=g), persistent=False)
        self._quality = None

    @property
    def device(self):
        return self.fixed_noise.device

    def configure_optimizers(self):
        return {"opt": torch.optim.Adam(self.net.parameters(), lr=self.config.lr)}

    def prepare(self, data):
        if self.config.conditional and int(data.train_y.min()) < 0:
            raise said(ValueError, "err.conditional_needs_labels")

    def make_batch(self, data, batch_size, generator):
        x, y = data.batch(batch_size, generator)
        return x.to(self.device) * 2 - 1, y.to(self.device).clamp_min(0)

    def lr_at(self, step: int) -> float:
        """Cosine decay from lr to min_lr by ``decay_steps`` (Loshchilov & Hutter 2017), then min_lr."""
        c = self.config
        if c.decay_steps <= 0:
            return c.lr
        t = min(1.0, step / c.decay_steps)
        return c.min_lr + 0.5 * (1 + math.cos(math.pi * t)) * (c.lr - c.min_lr)

    def noised(self, x0, t, noise):
        """The forward process in closed form (Ho et al. eq. 4): x0 (B, 1, 28, 28) in [-1, 1], t (B,)."""
        a = self.alphas_cumprod[t].view(-1, 1, 1, 1)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def target(self, x0, t, noise):
        """What the network learns to output: the noise, or v = sqrt(a) eps - sqrt(1 - a) x0."""
        if self.config.prediction == "epsilon":
            return noise
        a = self.alphas_cumprod[t].view(-1, 1, 1, 1)
        return a.sqrt() * noise - (1 - a).sqrt() * x0

    def x0_from(self, x_t, t: int, out):
        """The finished digit the network's output implies at step t (eq. 4 solved for x_0)."""
        a = self.alphas_cumprod[int(t)]
        if self.config.prediction == "epsilon":
            return (x_t - (1 - a).sqrt() * out) / a.sqrt()
        return a.sqrt() * x_t - (1 - a).sqrt() * out

    def _labels_in(self, y, generator=None):
        """Training labels with a share p_uncond replaced by "no label" (Ho & Salimans 2022, Alg. 1)."""
        if not self.config.conditional:
            return None
        drop = torch.rand(y.shape, generator=generator).to(y.device) < self.config.p_uncond
        return torch.where(drop, torch.full_like(y, self.config.n_classes), y)

    def loss(self, x0, y, generator=None):
        """L_simple (Ho et al. 2020, eq. 14), or its v form: the mean over pixels and images; x0 in
        [-1, 1]. With ``weighting="p2"`` each image's term is weighted by lambda_t = 1 / (1 + SNR(t))
        = 1 - abar_t (Choi et al. 2022, P2 with k = 1 and gamma = 1), scaled to a mean of 1 over t:
        less of the loss on the last, nearly clean steps, which only sharpen, and more on the noisy
        middle of the chain, where a digit's strokes (and the stray dots beside them) are placed."""
        B = x0.size(0)
        t = torch.randint(0, self.config.timesteps, (B,), generator=generator).to(x0.device)  # (B,)
        eps = torch.randn(x0.shape, generator=generator).to(x0.device)  # (B, 1, 28, 28)
        x_t = self.noised(x0, t, eps)
        pred = self.net(x_t, t, self._labels_in(y, generator)).sample  # (B, 1, 28, 28): eps or v
        if self.config.weighting == "none":
            return F.mse_loss(pred.float(), self.target(x0, t, eps))
        w = (1 - self.alphas_cumprod[t]) / (1 - self.alphas_cumprod).mean()  # (B,)
        return (w * ((pred.float() - self.target(x0, t, eps)) ** 2).mean((1, 2, 3))).mean()

    def train_step(self, batch, opts) -> dict[str, float]:
        x0, y = batch  # x0: (B, 1, 28, 28) in [-1, 1]; y: (B,)
        if self.config.decay_steps:  # the step count is Adam's own, so a resumed run goes on where it was
            done = next(iter(opts["opt"].state.values()), {}).get("step", 0)
            for g in opts["opt"].param_groups:
                g["lr"] = self.lr_at(int(done))
        opts["opt"].zero_grad(set_to_none=True)
        loss = self.loss(x0, y)
        loss.backward()
        opts["opt"].step()
        self._update_ema()
        return {"loss": loss.item()}

    @torch.no_grad()
    def _update_ema(self):
        self.steps_done += 1
        if self.net_ema is None:
            return
        n = self.steps_done.item()  # warm-up: a short average early on, as the GAN's
        decay = min(self.config.ema, (1 + n) / (10 + n))
        for e, p in zip(self.net_ema.parameters(), self.net.parameters()):
            e.lerp_(p, 1 - decay)

    @property
    def sampler(self) -> nn.Module:
        return self.net_ema if self.net_ema is not None else self.net

    def _labels(self, n, labels, generator):
        if not self.config.conditional:
            return None
        if labels is None:
            labels = torch.randint(self.config.n_classes, (n,), generator=generator)
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.min() < 0 or labels.max() >= self.config.n_classes:
            raise ValueError(f"Class labels must lie in 0..{self.config.n_classes - 1}")
        return labels.expand(n).to(self.device)

    def guidance_at(self, t: int, guidance: float) -> float:
        """s at step t: above 1 only inside the interval [guide_from, guide_to) of t/T, else 1."""
        c = self.config
        if guidance <= 1 or c.guide_from * c.timesteps <= int(t) < c.guide_to * c.timesteps:
            return guidance
        return 1.0

    def _guided(self, x, t, y, guidance: float):
        """The guided noise (or v) estimate (eq. 6 of Ho & Salimans 2022, s = 1 + w); one batch of 2B."""
        net = self.sampler
        guidance = self.guidance_at(t, guidance)
        tt = torch.full((len(x),), int(t), device=x.device, dtype=torch.long)
        if y is None or guidance == 1:
            return net(x, tt, y).sample
        null = torch.full_like(y, self.config.n_classes)
        if guidance == 0:
            return net(x, tt, null).sample
        eps_c, eps_u = net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null])).sample.chunk(2)
        return eps_u + guidance * (eps_c - eps_u)

    @torch.no_grad()
    def noise_estimate(self, x, t: int, labels=None, guidance: float = 1.0):
        """eps_theta(x_t, t) for x_t (B, 1, 28, 28) in [-1, 1], whatever the network outputs (from v:
        eps = sqrt(a) v + sqrt(1 - a) x_t); without labels a conditional model is asked with "no
        label", so the estimate is unconditional. What the sampling strategies of
        genai/strategies.py step with."""
        y = None
        if self.config.conditional:
            if labels is None:
                y, guidance = torch.full((len(x),), self.config.n_classes, device=x.device), 1.0
            else:
                y = torch.as_tensor(labels, dtype=torch.long).expand(len(x)).to(x.device)
        out = self._guided(x, t, y, guidance).float()
        if self.config.prediction == "epsilon":
            return out
        a = self.alphas_cumprod[int(t)]
        return a.sqrt() * out + (1 - a).sqrt() * x

    @torch.no_grad()
    def reverse(self, n: int, generator: torch.Generator | None = None, labels=None, steps: int | None = None,
                guidance: float | None = None, sampler: str = "unipc", noise: torch.Tensor | None = None):
        """The reverse process, one yield a step: (i, t, x_t, predicted x_0), images (n, 1, 28, 28)
        in [0, 1] on the CPU. DDPM always takes all T steps; UniPC and DDIM take ``steps`` (DDIM
        with eta = 0, so the path is fixed by x_T). Noise is drawn on the CPU from ``generator``:
        one seed, one set of digits on any device."""
        c = self.config
        if sampler not in SAMPLERS:
            raise ValueError(f"Unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
        steps = c.timesteps if sampler == "ddpm" else int(steps or c.sample_steps)
        if not 1 <= steps <= c.timesteps:
            raise ValueError(f"steps must be from 1 to {c.timesteps} (got {steps})")
        guidance = c.guidance if guidance is None else float(guidance)
        was_training = self.training
        self.eval()
        sched = make_scheduler(c, sampler)
        sched.set_timesteps(steps)  # the t it visits, from T - 1 down (timesteps_of)
        # DDIM: the noise estimate made again from the clipped x_0 (so that the step is consistent).
        # At t = T - 1 the cosine schedule leaves sqrt(alpha_bar) = 5e-5 of the digit: x_0 read from
        # eps is the noise blown up 20,000 times and clipped to +-1; the raw eps then put that
        # random pattern into the next x_t as if it were the digit (grey, speckled backgrounds,
        # measured: the classifier read 32% of 50 digits as asked, 54% with this)
        step_kw = {"ddim": {"use_clipped_model_output": True, "generator": generator},
                   "ddpm": {"generator": generator}}.get(sampler, {})  # UniPC draws no noise
        y = self._labels(n, labels, generator)
        x = noise if noise is not None else torch.randn(n, 1, 28, 28, generator=generator)  # x_T
        x = x.to(self.device)
        try:
            for i, t in enumerate(sched.timesteps):
                out = self._guided(x, t, y, guidance).float()
                x0 = self.x0_from(x, t, out).clamp(-1, 1)
                x = sched.step(out, t, x, **step_kw).prev_sample
                yield i, int(t), self.to_image(x), self.to_image(x0)
        finally:
            self.train(was_training)

    @staticmethod
    def to_image(x):
        return x.float().add(1).div(2).clamp(0, 1).cpu()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels=None, steps: int | None = None,
               guidance: float | None = None, sampler: str = "unipc") -> torch.Tensor:
        """n images (n, 1, 28, 28) in [0, 1] on the CPU: the end of ``reverse``."""
        x = None
        for _, _, x, _ in self.reverse(n, generator, labels, steps, guidance, sampler):
            pass
        return x

    @torch.no_grad()
    def heldout_loss(self, data, n: int = 500) -> float:
        """L_simple on the first ``n`` held-out digits, with t and the noise from a fixed seed (and
        labels kept), so that two evaluations differ only because the model changed."""
        x, y = data.heldout_float(n)
        g = torch.Generator().manual_seed(0)
        total = 0.0
        was_training = self.training
        self.eval()
        c = self.config
        for xb, yb in zip(x.split(250), y.split(250)):
            x0 = xb.to(self.device) * 2 - 1
            t = torch.randint(0, c.timesteps, (len(xb),), generator=g).to(self.device)
            eps = torch.randn(x0.shape, generator=g).to(self.device)
            yy = yb.clamp_min(0).to(self.device) if c.conditional else None
            pred = self.net(self.noised(x0, t, eps), t, yy).sample  # the trained weights, as the train loss
            err = F.mse_loss(pred.float(), self.target(x0, t, eps), reduction="sum")
            total += err.item() / pred[0].numel()
        self.train(was_training)
        return total / len(x)

    def evaluate(self, data, n: int = 500) -> dict[str, float]:
        """Held-out L_simple, and sample quality of ``n`` digits (UniPC, the config's steps and
        guidance; conditional models asked for each digit in turn): classifier FID, class
        entropy, confident share, Inception Score and the asked-for share (genai/metrics.py)."""
        from genai import metrics

        out = {"loss": self.heldout_loss(data)}
        if self._quality is None or self._quality.data is not data:
            self._quality = metrics.SampleQuality.for_data(data)
        if self._quality is None or n < 1:
            return out
        labels = torch.arange(n) % self.config.n_classes if self.config.conditional else None
        fake = self.sample(n, torch.Generator().manual_seed(0), labels=labels)
        return {**out, **self._quality.score(fake, labels)}

    @torch.no_grad()
    def preview(self):
        """Digits 0-9 in columns (conditional), from fixed noise, by the config's UniPC steps."""
        from genai.images import grid_image

        labels = torch.arange(len(self.fixed_noise)) % self.config.n_classes if self.config.conditional else None
        x = None
        for _, _, x, _ in self.reverse(len(self.fixed_noise), labels=labels, noise=self.fixed_noise,
                                       generator=torch.Generator().manual_seed(0)):
            pass
        return grid_image(x, nrow=10)
