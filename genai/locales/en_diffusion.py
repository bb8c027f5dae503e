"""English words of the Diffusion tab (merged into en.py's catalogue: genai/locales/__init__.py)."""
CODE = "en"

STRINGS = {
    'app.tab_diffusion': 'Diffusion',
    'diffusion.explain': r"""
### How a diffusion model learns
The **forward process** destroys a digit in $T = 1000$ small steps of Gaussian noise; after the
last one nothing of it is left. At any step $t$ it has a closed form (Ho et al., 2020, eq. 4):

$$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, \qquad \epsilon \sim \mathcal{N}(0, I)$$

A network $\epsilon_\theta$ (a small U-Net) sees the noisy $x_t$, the step $t$ and the digit's label $y$,
and learns to tell which noise was added, by the **simplified loss** (eq. 14):

$$L_\text{simple} = \mathbb{E}_{t,\,x_0,\,\epsilon}\,\big\|\,\epsilon - \epsilon_\theta(x_t, t, y)\,\big\|^2$$

(The `lesson` preset's network outputs $v = \sqrt{\bar\alpha_t}\,\epsilon - \sqrt{1-\bar\alpha_t}\,x_0$ instead,
Salimans & Ho, 2022: the same information, with more weight on the noisiest steps, where a digit's
shape is decided; it draws digits after a few hundred steps. The shipped model's last 8,000 steps
weighted each step's loss by $1/(1 + \mathrm{SNR}_t) = 1 - \bar\alpha_t$, Choi et al., 2022: less on the
nearly clean steps, which only sharpen, more on the noisy middle, where strokes are placed; it took
the stray dots beside its digits down to real digits' level.)

To draw, the **reverse process** starts from pure noise and removes a little of the predicted noise at
each step. The full chain (DDPM) takes all 1,000 steps; **DDIM** (Song et al., 2021) jumps along the
same path in a few, and **UniPC** (Zhao et al., 2023, the default) uses the last steps' guesses as well,
so that it needs about half of DDIM's steps. **Classifier-free guidance** (Ho & Salimans, 2022) asks the one network twice,
with the label and without it, and pushes away from the unlabelled guess:
$\hat\epsilon = \epsilon_\theta(x_t, t, \varnothing) + s\,\big(\epsilon_\theta(x_t, t, y) - \epsilon_\theta(x_t, t, \varnothing)\big)$
($s$ = 0: any digit; 1: the asked-for digit; above 1: more of it). Guidance above 1 is applied only in
the middle of the chain, $0.5\,T \le t < 0.9\,T$ (Kynkäänniemi et al., 2024): at the start it would only push
pure noise towards one stereotyped digit, and at the end it only thickens strokes.
""",
    'diffusion.digit': 'Digit',
    'diffusion.digit_each': 'each digit in turn (0-9 by columns)',
    'diffusion.guidance': 'Guidance scale s',
    'diffusion.guidance_info': '0 ignores the label, 1 follows it, higher draws the asked-for digit more surely and more boldly',
    'diffusion.steps': 'Sampling steps (UniPC, DDIM)',
    'diffusion.steps_info': 'Fewer steps are faster and worse: with UniPC this model draws good digits in 5 and its best in 10; DDIM needs more',
    'diffusion.sampler': 'Sampler',
    'diffusion.sampler_info': 'UniPC and DDIM take the steps above; DDPM always takes all 1,000',
    'diffusion.unipc': 'UniPC (the default)',
    'diffusion.ddim': 'DDIM (the classic few-step sampler)',
    'diffusion.ddpm': 'DDPM (all 1,000 steps: slow)',
    'diffusion.samples': 'Samples',
    'diffusion.reverse_title': 'The reverse process, step by step',
    'diffusion.reverse_help': 'Eight digits drawn from pure noise with the settings above. Left: $x_t$ as it is now; right: the network\'s guess of the finished digit $\\hat x_0$ at this step. Below: each digit along the chain, from noise (left) to digit (right).',
    'diffusion.reverse': 'Denoise step by step',
    'diffusion.x_t': 'x_t now',
    'diffusion.x_t_at': 'x_t at t = {t}, after step {i} of {total}',
    'diffusion.x0_hat': 'The predicted finished digit x̂₀',
    'diffusion.chain': 'Along the chain: noise → digit',
    'diffusion.forward_title': 'The forward process: what the network learns to undo',
    'diffusion.forward_help': r"""Pick a held-out digit and a step $t$: the digit is noised to $x_t$ in one go
(eq. 4 above). Training shows the network millions of such pairs and asks it for the noise.""",
    'diffusion.which_digit': 'Held-out digit (0-9)',
    'diffusion.t': 'Step t',
    'diffusion.noisy': 'x_t',
    'diffusion.forward_strip': 'The same digit and noise at t = 0 … 999',
    'diffusion.forward_info': 'At t = {t}: √ᾱ = {signal} of the digit is left and the noise has standard deviation {noise}; the digit carries {share} of the signal\'s power. Strip: t = {ts}.',
    'diffusion.compare_steps_title': 'Steps against quality and time',
    'diffusion.compare_steps_help': 'The same ten starting noises, drawn with 1, 2, 5, 10, 25 and 50 UniPC steps (one row each), timed; the digit classifier says how many it reads as the asked-for digit.',
    'diffusion.compare_steps': 'Compare step counts',
    'diffusion.steps_grid': 'Rows: 1, 2, 5, 10, 25, 50 steps; columns: digits 0-9',
    'diffusion.steps_table': 'Time and quality',
    'diffusion.col_steps': 'steps',
    'diffusion.col_seconds': 'seconds (10 digits)',
    'diffusion.col_read': 'read as asked',
    'diffusion.families_title': 'GAN vs VAE vs diffusion',
    'diffusion.families_table': 'The shipped image models, 1,000 digits each, measured against the same 1,000 held-out digits with the same classifier; beside them, the other 1,000 held-out digits (real digits: the closest a model can come) and 1,000 training digits (`python bench/diffusion.py compare`):',
    'diffusion.col_model': 'model',
    'diffusion.col_fid': 'FID (vs 1,000 held-out)',
    'diffusion.col_kid': 'KID',
    'diffusion.col_stray': 'stray ink',
    'diffusion.col_memorised': 'nearest training digit (1 = as far as real digits)',
    'diffusion.col_fid_floor': 'FID / real digits\' own',
    'diffusion.col_class_entropy': 'class entropy',
    'diffusion.col_confident': 'confident > 0.9',
    'diffusion.col_inception_score': 'Inception Score',
    'diffusion.col_params_m': 'parameters (M)',
    'diffusion.col_train_min': 'training (CPU minutes)',
    'diffusion.col_draw64_s': '64 digits (s, one CPU thread)',
    'diffusion.families_takeaway': "What to take from it: the GAN and the VAE draw a digit in one pass of a network, a hundred or more times faster than diffusion, which runs its network once or twice per step (about 1 s for 64 digits against 0.01 s for the conditional GAN). None of the models is as close to the held-out digits as other real digits are (FID 74.5): the self-conditioned DCGAN comes closest (1.85 times real digits' own), then the diffusion model (1.94) and the conditional GAN (2.19), and the VAE is the blurriest (5.3 times; it averages what it is unsure of: 65% confident). The diffusion model got there with one plain regression loss instead of a two-player game, and takes its control (a digit, a guidance scale) without a second network. Its stray ink beside the digits is now near real digits' (0.20% against 0.17%): weighting its loss towards the noisy middle of the chain, where strokes are placed, took it down from 0.46%, for a little FID (1.86 times before). Training digits score far from the held-out ones (FID 156): the classifier learned from them and tells them apart, which is why real digits are measured here with held-out digits it never saw. No model copies its training digits wholesale: a sample's nearest training digit is about as far as a real held-out digit's (0.90-1.07 times the median), though 4% of the DCGAN's samples come nearer a training digit than 99% of real digits do.",
    'diffusion.train_title': '### Train a diffusion model live',
    'diffusion.preset_info': 'lesson / cpu-fast (a U-Net of width 8 that predicts v instead of the noise: digits after about 2 minutes of one core, 700 steps in about 3), small (the shipped model), medium (for a GPU), tiny (tests)',
    'diffusion.live': 'Digits 0-9 by columns, from fixed noise, as training goes',
    'diffusion.loss_plot': 'Denoising loss (eq. 14; its v form for the lesson preset)',
    'diffusion.info_model': 'conditional diffusion, U-Net width {width}, T = {T}, {schedule} schedule, guidance {guidance:g}',
    'diffusion.info_match': 'asked-for digit {share}',
    'diffusion.took': '{n} digits in {seconds} s ({steps} {sampler} steps)',
    'diffusion.experiment': r"""
**Guided experiment: guidance and steps.** Choose the digit 4 and seed 1. Sample with guidance
$s$ = 0, 1, 3 and 8. At 0 the label is ignored and any digit comes out; at 1 mostly fours, some
of them ragged; at 3 (the default) clean ones; at 8 bolder, more alike strokes: guidance trades
variety for fidelity. (Measured on 200 digits asked for 0-9, UniPC 10 steps: the classifier read
13%, 95%, 100%, 100% and 100% as the asked-for digit at s = 0, 1, 2, 3 and 8, while the ink
per digit grew from 0.15 to 0.18; real digits have 0.16. Guidance acts only in the middle of the
chain here; applied at every step it thickens strokes more.) Then open *Steps against quality
and time*: one step gives speckled noise (from pure noise the network's guess of $x_0$ is a
blur), two give noisy, blurred digits, five clean ones with a few stray specks, and past 10 steps
the digits stop changing while the time keeps growing. Choose the DDIM sampler and sample with 5
steps: the same network, a simpler solver, much worse digits.
""",
    'err.p_uncond': 'p_uncond (the share of labels dropped) must be from 0 to 1 (got {value})',
    'err.digit_choice': 'Choose a digit from 0 to 9, or "each digit in turn" (got {value})',
    'err.sampler_choice': 'Choose the sampler "unipc", "ddim" or "ddpm" (got {value})',
    'err.diffusion_needs_labels': 'The conditional diffusion model needs labelled images; choose a labelled data set',
}
