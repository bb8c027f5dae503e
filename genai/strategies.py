"""What image generators are for, beside drawing from noise: repair (inpainting) and upscaling,
over any image family. These are generation *strategies*, not models: each uses only what a family
exposes (the diffusion model's noise estimate, the GAN's generator and discriminator, the VAE's
encoder and decoder), so they live here and not in the model files.

Images are (N, 1, 28, 28) floats in [0, 1]; a mask is 1 where a pixel is known and 0 where it is to
be filled (one (1, 28, 28) mask for all images, or one per image). Every repair returns the known
pixels unchanged: only the masked ones are the model's.

* Diffusion: RePaint (Lugmayr et al., CVPR 2022), diffusers' ``RePaintScheduler``: at each reverse
  step the known pixels are replaced by the original noised to that step (forward process, Ho et
  al. eq. 4), the unknown ones come from the model's step; with resampling (go back up ``jump``
  steps by adding noise and come down again, ``resample`` times) so that the fill and the known
  part agree.
* GAN: sampling by optimisation (Yeh et al., CVPR 2017, "Semantic Image Inpainting with Deep
  Generative Models"): search the latent z (and the label) whose G(z) matches the known pixels,
  with a prior term, by Adam.
* VAE: the same search under the decoder: the most probable z given only the known pixels
  (maximum a posteriori), log p(x_known | z) + log p(z), started from the encoder.
* Nearest: the training image closest on the known pixels, its pixels pasted into the gap.
* Upscaling: ILVR (Choi et al., ICCV 2021, "ILVR: Conditioning Method for Denoising Diffusion
  Probabilistic Models"): after each DDPM step the low frequencies of x_{t-1} are replaced by those
  of the low-resolution image noised to step t-1; bicubic and the nearest training image beside it.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from genai.locales import said

MASKS = ("bottom", "left", "centre", "random75")
MAX_IMAGES = 2000  # a CLI call's most images
LOW_SIZES = (7, 14)
FAMILIES = ("diffusion", "gan", "vae")


# ----------------------------------------------------------------------------- masks and checks
def make_mask(name: str, n: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """A preset mask (n, 1, 28, 28), 1 known, 0 to fill: the bottom half, the left half, the
    centre 14x14 square, or a random 75% of the pixels missing (a new draw per image)."""
    m = torch.ones(n, 1, 28, 28)
    if name == "bottom":
        m[..., 14:, :] = 0
    elif name == "left":
        m[..., :, :14] = 0
    elif name == "centre":
        m[..., 7:21, 7:21] = 0
    elif name == "random75":
        m = (torch.rand(n, 1, 28, 28, generator=generator) >= 0.75).float()
    else:
        raise said(ValueError, "uses.err_mask_name", name=name, names=", ".join(MASKS))
    return m


def check_images(images, name: str = "images", size: int = 28) -> torch.Tensor:
    """(N, size, size) or (N, 1, size, size) floats in [0, 1], 1 <= N <= MAX_IMAGES -> (N, 1, size, size)."""
    x = torch.as_tensor(images).float()
    if x.dim() == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 3 or tuple(x.shape[1:]) != (size, size):
        raise said(ValueError, "uses.err_shape", name=name, shape=tuple(images.shape), size=size)
    if not 1 <= len(x) <= MAX_IMAGES:
        raise said(ValueError, "uses.err_count", name=name, n=len(x), most=MAX_IMAGES)
    if not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise said(ValueError, "uses.err_range", name=name)
    return x[:, None]


def check_mask(mask, n: int) -> torch.Tensor:
    """One (28, 28) mask for all images or one per image, of 0s and 1s, with something known and
    something to fill in each -> (n, 1, 28, 28)."""
    m = torch.as_tensor(mask).float()
    if m.dim() == 2:
        m = m[None]
    if m.dim() == 4 and m.shape[1] == 1:
        m = m[:, 0]
    if m.dim() != 3 or tuple(m.shape[1:]) != (28, 28) or len(m) not in (1, n):
        raise said(ValueError, "uses.err_mask_shape", shape=tuple(mask.shape), n=n)
    if not ((m == 0) | (m == 1)).all():
        raise said(ValueError, "uses.err_mask_values")
    known = m.flatten(1).sum(1)
    if (known == 0).any():
        raise said(ValueError, "uses.err_mask_empty")
    if (known == 28 * 28).any():
        raise said(ValueError, "uses.err_mask_full")
    return m[:, None].expand(n, 1, 28, 28).contiguous()


def family_of(model, wanted=FAMILIES) -> str:
    fam = getattr(model, "family", None)
    if fam not in wanted:
        raise said(ValueError, "uses.err_family", family=fam, wanted=", ".join(wanted))
    return fam


# ----------------------------------------------------------------------------- repair
def repair(model, images, mask, generator: torch.Generator | None = None, **kw) -> torch.Tensor:
    """Fill the masked pixels of ``images`` with ``model`` (a diffusion, GAN or VAE model):
    (N, 1, 28, 28) in [0, 1], the known pixels exactly as given."""
    x = check_images(images)
    m = check_mask(mask, len(x))
    fill = {"diffusion": repaint, "gan": gan_search, "vae": vae_search}[family_of(model)]
    out = fill(model, x, m, generator=generator, **kw)
    return m * x + (1 - m) * out.clamp(0, 1)


@torch.no_grad()
def repaint(model, x, m, generator=None, steps: int = 20, jump: int = 5, resample: int = 2, labels=None,
            guidance: float = 1.0, eta: float = 1.0) -> torch.Tensor:
    """RePaint (Lugmayr et al. 2022, Alg. 1) on diffusers' RePaintScheduler: ``steps`` DDPM steps
    (eta = 1, as the paper), going back ``jump`` steps ``resample`` - 1 times on the way. Measured
    on this CPU: 20 steps, jump 5, 2 samplings are 35 network passes (BENCHMARKS.md). Labels and
    guidance (Ho & Salimans 2022) are optional; without them the fill is unconditional."""
    from diffusers import RePaintScheduler

    c = model.config
    sched = RePaintScheduler(num_train_timesteps=c.timesteps, beta_schedule=c.beta_schedule, eta=eta)
    sched.set_timesteps(steps, jump_length=jump, jump_n_sample=resample)
    dev = model.device
    known = (x * 2 - 1).to(dev)  # [-1, 1], as the model was trained
    m = m.to(dev)
    y = torch.randn(x.shape, generator=generator).to(dev)  # x_T
    last = sched.timesteps[0] + 1
    for t in sched.timesteps.tolist():
        if t < last:  # down: one reverse step, known pixels from the noised original (Alg. 1, l. 5-8)
            eps = model.noise_estimate(y, t, labels, guidance)
            # noise from the caller's generator (diffusers draws it on the CPU and moves it)
            y = sched.step(eps, t, y, known, m, generator=generator).prev_sample
        else:  # up: forward-noise back to t (Alg. 1, l. 10: resampling)
            y = _undo(sched, y, last, generator)
        last = t
    return model.to_image(y)


def _undo(sched, y, t, generator):
    """q(x_{t + k} | x_t): k = T / steps forward steps, noise from ``generator`` (Alg. 1, l. 10)."""
    k = sched.config.num_train_timesteps // sched.num_inference_steps
    for i in range(k):
        beta = sched.betas[t + i]
        y = (1 - beta) ** 0.5 * y + beta ** 0.5 * torch.randn(y.shape, generator=generator).to(y.device)
    return y


def _label_pool(model, n: int, pool: int, generator):
    """Labels for ``pool`` candidate starts of n images: None for an unconditional G, else drawn as
    sample() draws them (uniform digits; clusters by their share)."""
    from genai.models.gan import n_labels

    if not n_labels(model.config):
        return None
    return model.labels_for(n * pool, None, generator).view(pool, n)


def gan_search(model, x, m, generator=None, steps: int = 100, pool: int = 128, lr: float = 0.05,
               sigma: float = 0.1, d_weight: float = 0.0) -> torch.Tensor:
    """Sampling by optimisation (Yeh et al. 2017): the z (and label) whose G(z) best matches the
    known pixels. The loss is a MAP objective, per image:

        L(z) = sum_known (G(z) - x)^2 / (2 sigma^2)  +  ||z||^2 / 2   [- d_weight * log D(G(z))]

    the first term the context loss (Yeh et al. use an L1; a Gaussian likelihood of the known
    pixels with noise sigma makes it commensurable with the prior), the second the Gaussian prior
    on z that keeps the search where G was trained, the third Yeh et al.'s perceptual loss (D must
    find G(z) real; off by default: measured, it did not help, BENCHMARKS.md). The label is not
    searched by gradient: ``pool`` random (z, label) starts per image are scored on the known pixels
    and the best one is refined by ``steps`` Adam steps."""
    G, c = model.sampler, model.config
    n, dev = len(x), model.device
    target, mk = (x * 2 - 1).to(dev), m.to(dev)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():  # the best of ``pool`` random starts per image, on the known pixels
            z0 = torch.randn(pool, n, c.z_dim, generator=generator).to(dev) * c.truncation
            y0 = _label_pool(model, n, pool, generator)
            err = torch.stack([(((G(z0[k], None if y0 is None else y0[k]) - target) / 2).pow(2) * mk)
                               .flatten(1).sum(1) for k in range(pool)])  # (pool, n)
            best = err.argmin(0)
            z = z0[best, torch.arange(n, device=dev)].clone()
            y = None if y0 is None else y0[best, torch.arange(n, device=dev)]
        z.requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            img = G(z, y)  # (n, 1, 28, 28) in [-1, 1]
            # pixels in [0, 1]: (img - target) / 2; the context loss of the known pixels, the prior on z
            context = (((img - target) / 2).pow(2) * mk).flatten(1).sum(1) / (2 * sigma ** 2)
            loss = context + z.pow(2).sum(1) / 2
            if d_weight:
                loss = loss + d_weight * F.softplus(-model.D(img, y))  # -log D(G(z)) (non-saturating)
            # the gradient for z alone: G's weights are shared by every request, and untouched
            z.grad = torch.autograd.grad(loss.sum(), z)[0]
            opt.step()
        with torch.no_grad():
            return G(z, y).float().add(1).div(2).cpu()
    finally:
        model.train(was_training)


def vae_search(model, x, m, generator=None, steps: int = 50, lr: float = 0.1, pool: int = 16) -> torch.Tensor:
    """The most probable z given only the known pixels, under the VAE's own model:

        max_z  log p(x_known | z) + log p(z)
             = -sum_known BCE(decoder(z), x)  -  ||z||^2 / 2

    (the Bernoulli likelihood the VAE was trained with, Kingma & Welling 2014, restricted to the
    known pixels), by Adam from the encoder's mean of the image with the gap left blank, plus a draw
    from the encoder's own spread so that seeds differ. Why not encode-decode with the known pixels
    clamped, iterated: the encoder never saw a blanked digit, and its mean of one is a digit with a
    blank part, which the iteration only slowly undoes (measured: BENCHMARKS.md, "Repair")."""
    dev = model.device
    xk, mk = x.to(dev), m.to(dev)
    was_training = model.training
    model.eval()
    try:
        mu, logvar = model.encode(x * m)
        z = (mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)).to(dev)
        if pool > 1:  # the encoder's start against pool - 1 draws from the prior, the best kept
            with torch.no_grad():
                starts = torch.cat([z[None], torch.randn(pool - 1, *z.shape, generator=generator).to(dev)])
                score = torch.stack([_vae_map_loss(model, s, xk, mk) for s in starts])  # (pool, n)
                z = starts[score.argmin(0), torch.arange(len(z), device=dev)]
        z.requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            loss = _vae_map_loss(model, z, xk, mk)
            z.grad = torch.autograd.grad(loss.sum(), z)[0]  # for z alone, as the GAN's search
            opt.step()
        return model.decode(z.detach())
    finally:
        model.train(was_training)


def _vae_map_loss(model, z, x, m):
    """-log p(x_known | z) - log p(z) (up to a constant), per image: (n,)."""
    nll = F.binary_cross_entropy_with_logits(model.decoder(z).float(), x, reduction="none")
    return (nll * m).flatten(1).sum(1) + z.pow(2).sum(1) / 2


@torch.no_grad()
def vae_clamp(model, x, m, generator=None, steps: int = 30) -> torch.Tensor:
    """The other VAE repair, kept to measure against: encode-decode with the known pixels clamped,
    iterated from the gap left blank (x <- m x + (1 - m) decode(encode(x)))."""
    cur = x * m
    for _ in range(steps):
        cur = m * x + (1 - m) * model.decode(model.encode(cur)[0])
    return cur


@torch.no_grad()
def nearest_fill(train_x: torch.Tensor, x, m, batch: int = 250) -> torch.Tensor:
    """The baseline: each image's nearest training image on its known pixels (squared error over
    the known pixels only), whose pixels fill the gap. train_x (M, 1, 28, 28) in [0, 1]."""
    t = train_x.float().flatten(1)  # (M, 784)
    out = []
    for xb, mb in zip(x.flatten(1).split(batch), m.flatten(1).split(batch)):
        # sum_k m_k (x_k - t_k)^2 = sum m x^2 - 2 (m x) . t + m . t^2
        d = (mb * xb * xb).sum(1, keepdim=True) - 2 * (mb * xb) @ t.T + mb @ (t * t).T  # (b, M)
        out.append(t[d.argmin(1)])
    return torch.cat(out).view(-1, 1, 28, 28)


# ----------------------------------------------------------------------------- upscaling
def downscale(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 1, 28, 28) -> (N, 1, size, size) by averaging 28/size x 28/size blocks."""
    return F.avg_pool2d(x, 28 // size)


def _lowpass(x, f: int):
    """phi_N of ILVR: down by averaging f x f blocks, then back up (each block its mean)."""
    return F.interpolate(F.avg_pool2d(x, f), scale_factor=f, mode="nearest")


def upscale(model, low, generator: torch.Generator | None = None, steps: int = 25, labels=None,
            guidance: float = 1.0) -> torch.Tensor:
    """ILVR (Choi et al. 2021, Alg. 1): (N, 7, 7) or (N, 14, 14) in [0, 1] -> (N, 1, 28, 28). Each
    DDPM step's x'_{t-1} is corrected as

        x_{t-1} = x'_{t-1} - phi(x'_{t-1}) + phi(y_{t-1}),   y_{t-1} ~ q(y_{t-1} | y_0)

    with phi the low-pass filter of factor f = 28 / size (average pooling, then nearest upsampling)
    and y_0 the low-resolution image: only its block means are known, so phi(y_{t-1}) is its
    noised version, sqrt(a) low + sqrt(1 - a) * (the block means of fresh noise)."""
    family_of(model, ("diffusion",))
    low = torch.as_tensor(low).float()
    size = low.shape[-1] if low.dim() >= 2 else 0
    if size not in LOW_SIZES:
        raise said(ValueError, "uses.err_low_shape", shape=tuple(low.shape))
    low = check_images(low, "low", size)
    return _ilvr(model, low, generator, steps, labels, guidance)


@torch.no_grad()
def _ilvr(model, low, generator, steps, labels, guidance):
    from diffusers import DDPMScheduler

    c, dev = model.config, model.device
    f = 28 // low.shape[-1]
    sched = DDPMScheduler(num_train_timesteps=c.timesteps, beta_schedule=c.beta_schedule, clip_sample=True)
    sched.set_timesteps(steps)
    low = (low * 2 - 1).to(dev)
    a_all = sched.alphas_cumprod
    x = torch.randn(len(low), 1, 28, 28, generator=generator).to(dev)
    for t in sched.timesteps.tolist():
        eps = model.noise_estimate(x, t, labels, guidance)
        x = sched.step(eps, t, x, generator=generator).prev_sample
        prev = sched.previous_timestep(t)
        a = a_all[prev].item() if prev >= 0 else 1.0
        eps_low = F.avg_pool2d(torch.randn(x.shape, generator=generator).to(dev), f)
        y_low = math.sqrt(a) * low + math.sqrt(1 - a) * eps_low  # phi's down half of y_{t-1}
        x = x - _lowpass(x, f) + F.interpolate(y_low, scale_factor=f, mode="nearest")
    return model.to_image(x)


def upscale_bicubic(low: torch.Tensor) -> torch.Tensor:
    """(N, 1, s, s) -> (N, 1, 28, 28), bicubic, clipped to [0, 1]."""
    return F.interpolate(low.float(), size=(28, 28), mode="bicubic", align_corners=False).clamp(0, 1)


@torch.no_grad()
def upscale_nearest(train_x: torch.Tensor, low: torch.Tensor, batch: int = 250) -> torch.Tensor:
    """The training image whose own low-resolution version is closest."""
    size = low.shape[-1]
    t_low = downscale(train_x.float(), size).flatten(1)
    idx = torch.cat([torch.cdist(part, t_low).argmin(1) for part in low.flatten(1).split(batch)])
    return train_x[idx].float()


# ----------------------------------------------------------------------------- timing
def timed(fn, *args, **kw):
    """(result, seconds)."""
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0
