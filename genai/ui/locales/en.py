"""English: the catalogue every other language follows (genai/ui/i18n.py). Keys are
meaningful names, grouped by tab; values are what the page shows. Equations stay as they are."""
CODE = "en"
NAME = "English"

STRINGS = {
    'app.intro': r"""# Generative AI Lab
Train generative models live and sample from them: a GAN that learns to draw digits, a VAE whose
latent space you can walk through, a small GPT that writes like Shakespeare. Every tab works on
the CPU; a GPU makes training faster.""",
    'gan.explain': r"""
### How a GAN learns
A generator $G$ turns random noise $z$ into an image; a discriminator $D$ tries to tell real
images from generated ones. They play a two-player game (Goodfellow et al., 2014):

$$\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

Each training step has two halves: **update D** (raise $D(x)$ on real digits, lower
$D(G(z))$ on fakes), then **update G** (change $G$ so that $D$ calls its fakes real). The *hinge*
and *WGAN-GP* losses are other ways to score the same game. Quality is measured with a digit
classifier trained here: **FID** (lower is better: how far the generated digits' features lie
from real ones) and the **class entropy** (1 = all ten digits equally often; near 0 = *mode
collapse*, the generator draws only a few kinds of digit).
""",
    'gan.experiment': r"""
**Guided experiment: a discriminator that learns too fast.** Train the `dcgan-bce` preset (BCE loss
and a batch-norm D, as Radford et al. 2016 wrote it) with seed 0 for 600 steps. Then train it again
with the *D learning rate* ten times larger (0.002) and the same seed, and overlay the two runs in
the *Training monitor* (metrics `D(x)`, `D(G(z))`, `heldout_fid`). What to look for: when D runs
ahead, D(x) sits near 1 and D(G(z)) near 0, G's loss climbs, and G learns less from each step;
watch whether the FID falls more slowly and the class histogram narrows. Then repeat with the
`dcgan` preset (hinge loss, spectrally normalised D): spectral normalisation limits how fast D can
run ahead, which is why it is this tab's default.
""",
    'vae.explain': r"""
### How a VAE learns
An encoder turns an image $x$ into a Gaussian over codes, $q(z\mid x) = \mathcal{N}(\mu, \sigma^2)$; a decoder
turns a code $z$ back into pixel probabilities $p(x\mid z)$. Training maximises the *evidence lower bound*
(Kingma & Welling, 2014):

$$\log p(x) \;\ge\; \underbrace{\mathbb{E}_{q(z\mid x)}\big[\log p(x\mid z)\big]}_{-\,\text{reconstruction}} \;-\; \underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal{N}(0, I)\big)}_{\text{KL}}$$

so the loss is $\text{recon} + \beta\,\text{KL}$ ($\beta = 1$ is the plain VAE, other values a $\beta$-VAE).
**Both terms are reported per image, in nats:** the reconstruction *sums* $-\log p$ over the 784 pixels
of an image and the KL *sums* over the dimensions of $z$; both are then *averaged* over the images of a
batch. (Averaging over pixels instead would shrink the reconstruction 784 times but not the KL: a
$\beta$-VAE with $\beta = 784$ in disguise, and blurry digits.) Grey levels are used as Bernoulli
targets, so the numbers are not comparable with published results on *binarised* MNIST.
""",
    'vae.experiment': r"""
**Guided experiment: $\beta$ = 0.1 versus $\beta$ = 4.** Train the `conv-2d` preset for 1,000 steps
with $\beta$ = 0.1, then again with $\beta$ = 4 and the same seed; pick each run in the *Checkpoint*
menu at the top. With $\beta$ = 0.1 the reconstructions are sharp but the KL is large: the codes
spread far from $\mathcal{N}(0, I)$, so *samples from the prior* land in gaps the decoder never saw
and come out messy. With $\beta$ = 4 the KL is small and the reconstructions blurry, but the latent
map is smooth: neighbouring digits merge into each other (a 4 fades into a 9), and prior samples
look like digits, if vague ones.
""",
    'vae.map_help': r"""Click anywhere on the **map** to decode that point, or move the sliders. The scatter
shows where the encoder puts held-out digits (their means $\mu$), coloured by class: hover a point
to read it.""",
    'vae.digit_tip': 'draw a digit first — click the brush tool, then draw (or click a digit in the gallery above)',
    'vae.no_ckpt': 'No VAE checkpoint yet: train one under “Train a VAE live” below, then pick it in the Checkpoint menu.',
    'text.explain': r"""
### How a language model writes
An autoregressive model splits the probability of a text into one prediction per token:

$$p(x_1, \dots, x_T) = \prod_{t=1}^{T} p(x_t \mid x_{<t})$$

To continue a prompt it draws the next token from $p(\cdot \mid x_{<t})$, appends it, and repeats.
**Temperature** $\tau$ reshapes that distribution before the draw, $p_i \propto \exp(\text{logit}_i / \tau)$:
below 1 it sharpens it (safer, more repetitive), above 1 it flattens it (more surprising, more
mistakes). **Top-k** keeps only the $k$ likeliest tokens; **top-p** keeps the smallest set whose
probabilities add up to $p$. The shipped model is a small GPT that reads and writes one
*character* at a time, trained here on Tiny Shakespeare. Pretrained models from the Hugging Face
Hub (such as `distilgpt2`, when the machine is online) read *tokens* of about four characters.

**Fine-tuning** goes on training a trained model on a new text. A full fine-tune changes every
weight; **LoRA** (low-rank adaptation) freezes each weight matrix $W$ and learns a small change
$\frac{\alpha}{r} BA$ with $B$ and $A$ of rank $r$, so it trains (and saves) a few percent of the
numbers and starts exactly where the pretrained model was.
""",
    'text.experiment': r"""
**Guided experiment: one prompt, three temperatures.** Type `ROMEO:` and press *Same prompt, three
temperatures* (one seed for all three). At 0.5 the text is tidy but loops on common words; at 1.0 it
reads like the training text; at 1.5 it invents words and breaks lines at random. Then look at the
probability view of the 1.5 sample: the dark (unlikely) characters are where it went astray.
""",
    'text.fine_tune_experiment': r"""
**Guided experiment: what fine-tuning learns and what it forgets.** Choose the shipped GPT above,
then *fine-tune the chosen model* on a modern text of yours (an essay, a licence, a page of a
textbook; paste a few thousand words), 300 steps, *LoRA* ticked. Watch the held-out loss on your
text fall, then choose *your run* above and continue `ROMEO:`: how much Shakespeare is left? Run
it again with LoRA unticked (every weight) and compare the two: the size of each checkpoint, how
far each loss fell, and what each writes after `ROMEO:`.
""",
    'monitor.intro': r"""
### Training monitor
Every run you started in this browser tab, and runs started from the command line, live.
Pick runs to overlay their curves; *smoothing* is an exponential moving average (debiased, as
TensorBoard's), drawn over the raw curve in a lighter shade so that smoothing never hides the
truth. The step slider replays a run's samples. A stopped run can be resumed from its last
checkpoint, or forked: same weights, changed settings, as a new run.

*Share with the class* gives a link: everyone who opens it (or picks the run here, marked
*watching*) sees the run live, on the projector and on every screen, for the compute of one
run. Watchers cannot pause, stop or change it; *Fork* gives them a run of their own from it.
""",
    'app.tab_gan': 'Image GAN',
    'app.tab_vae': 'VAE latent space',
    'app.tab_text': 'Text continuation',
    'app.tab_monitor': 'Training monitor',
    'app.device': 'Device',
    'app.language': "Language: the page follows your browser's language (English or 简体中文); to change it, open *Settings* at the foot of the page (设置 → 语言).",
    'common.checkpoint': 'Checkpoint',
    'common.checkpoint_info': 'Shipped models, and the runs you train below',
    'common.seed': 'Seed',
    'common.start': 'Start',
    'common.pause_resume': 'Pause / resume',
    'common.stop': 'Stop',
    'common.no_run': 'No run yet.',
    'common.data_set': 'Data set',
    'common.model_preset': 'Model preset',
    'common.steps': 'Steps',
    'common.batch_size': 'Batch size',
    'common.learning_rate': 'Learning rate',
    'common.latent_size': 'Latent size (z)',
    'common.frames': 'Frames',
    'common.animated': 'Animated',
    'gan.n_samples': 'Number of samples',
    'gan.seed_info': 'Same seed, same digits',
    'gan.digit': 'Digit (conditional GAN only)',
    'gan.digit_any': 'any',
    'gan.sample': 'Sample',
    'gan.samples': 'Samples',
    'gan.walk_title': "Latent walk: glide from one seed's noise to another's",
    'gan.from_seed': 'From seed',
    'gan.to_seed': 'To seed',
    'gan.walk': 'Walk',
    'gan.strip': 'Strip',
    'gan.train_title': '### Train a GAN live',
    'gan.preset_info': 'lesson (digits in about 20 s of one core), mlp, dcgan, cdcgan (conditional), cpu-fast',
    'gan.loss': 'Loss',
    'gan.lr_g': 'G learning rate',
    'gan.lr_d': 'D learning rate',
    'gan.upload': 'Your images (PNG/JPEG files or a zip)',
    'gan.upload_choice': 'your images (upload)',
    'gan.live': 'Fixed-noise samples',
    'gan.losses_plot': 'G and D losses',
    'gan.d_plot': 'D(x) and D(G(z))',
    'gan.fid_plot': 'Classifier FID (held-out digits)',
    'gan.hist_plot': 'Class histogram of samples (latest)',
    'gan.replay': 'Replay: sample grid at snapshot',
    'gan.export_gif': 'Export history as GIF',
    'gan.gif': 'GIF',
    'vae.prior': 'Samples from the prior, z ~ N(0, I)',
    'vae.interp_title': '### Interpolate between two digits',
    'vae.interp_help': "Click two held-out digits below, or draw your own: click the **brush** in a pad's toolbar, then draw one digit large with the mouse (the bin icon clears the pad). You can also draw over a picked digit.",
    'vae.gallery': 'Held-out digits: click one to put it in A or B',
    'vae.pad_a': 'Digit A',
    'vae.pad_b': 'Digit B',
    'vae.target': 'A clicked digit goes to',
    'vae.target_info': 'It flips to the other one after each click',
    'vae.linear': 'linear',
    'vae.slerp': 'spherical (slerp)',
    'vae.path': 'Path through z',
    'vae.path_info': 'slerp keeps the norm that prior samples have',
    'vae.interpolate': 'Interpolate',
    'vae.recon_a': 'A as the model sees it (28x28) → its reconstruction',
    'vae.recon_b': 'B as the model sees it (28x28) → its reconstruction',
    'vae.strip': "From A's code to B's (encoder means μ)",
    'vae.map_title': '### The latent map',
    'vae.map': 'Decoded map of z (click to decode a point)',
    'vae.scatter': "Held-out digits' means μ",
    'vae.draw_map': 'Draw the map',
    'vae.decode': 'Decode',
    'vae.decoded': 'Decoded digit',
    'vae.start_gallery': "Or start from a held-out digit's code: click one",
    'vae.train_title': '### Train a VAE live',
    'vae.preset_info': 'lesson: a 2-D map in about 6 s of one core; conv-2d: a sharper map; conv-16d: sharper digits; cpu-fast: quick on a CPU',
    'vae.beta': 'β (weight of the KL)',
    'vae.beta_info': '1 is the ELBO',
    'vae.live': 'Held-out digits (top) and their reconstructions (bottom)',
    'vae.recon_plot': 'Reconstruction −log p(x|z)',
    'vae.kl_plot': 'KL(q(z|x) ‖ N(0, I))',
    'vae.loss_plot': 'Loss = reconstruction + β·KL',
    'vae.nats': 'nats per image',
    'text.model': 'Model',
    'text.hub_id': 'Hugging Face Hub model id (online only)',
    'text.max_new': 'Max new tokens',
    'text.temperature': 'Temperature (0 = always the likeliest)',
    'text.top_k': 'Top-k (0 = off)',
    'text.top_p': 'Top-p (1 = off)',
    'text.prompt': 'Prompt',
    'text.continue': 'Continue',
    'text.three': 'Same prompt, three temperatures',
    'text.output': 'Prompt and continuation',
    'text.probs_title': '#### Probabilities: the darker a character, the less likely the model found it; click one to see what else it could have written there',
    'text.continuation': 'Continuation',
    'text.alts': 'Top-5 alternatives at the chosen position',
    'text.temperature_n': 'Temperature',
    'text.train_title': '### Train or fine-tune a model live',
    'text.text': 'Text',
    'text.model_info': 'GPT presets (lesson: about a minute of one core), the LSTM, or fine-tune the model chosen above',
    'text.lora': 'LoRA: train small low-rank adapters only (untick: every weight)',
    'text.rank': 'LoRA rank r',
    'text.upload': 'A UTF-8 text file',
    'text.paste': '...or paste text here',
    'text.hub_choice': 'Hugging Face Hub model (id below)',
    'text.upload_choice': 'your text (upload or paste)',
    'text.fine_tune_choice': 'fine-tune the chosen model',
    'monitor.keep': 'Keep my runs training when I close this browser tab',
    'monitor.runs': 'Runs',
    'monitor.compare': 'Runs to compare',
    'monitor.metric': 'Metric',
    'monitor.smoothing': 'Smoothing',
    'monitor.log': 'Log scale (log10)',
    'monitor.curves': 'Curves',
    'monitor.one_run': '#### One run: replay, settings, controls',
    'monitor.run': 'Run',
    'monitor.step': 'Step (moves every medium of the run)',
    'monitor.media_img': 'Samples at this step',
    'monitor.media_text': 'Text sample at this step',
    'monitor.settings': 'Settings of the compared runs (differences highlighted)',
    'monitor.pause': 'Pause',
    'monitor.resume': 'Resume',
    'monitor.resume_ck': 'Resume from checkpoint',
    'monitor.share': 'Share with the class',
    'monitor.fork_set': 'Fork: changed settings (JSON)',
    'monitor.fork_steps': 'Fork: steps',
    'monitor.fork': 'Fork as a new run',
    'monitor.export': 'Export run (zip: config, metrics CSV, samples, checkpoint, TensorBoard)',
    'monitor.export_file': 'Export',
    'status.none': 'No run yet.',
    'status.queued': '**{name}**: queued, place {place} of {waiting} in the queue, {when} (estimated from the runs ahead of it). *Stop* takes it out of the queue.',
    'status.starts_in': 'starts in about {wait}',
    'status.start_unknown': 'start time unknown',
    'status.cancelled': '**{name}**: cancelled; it left the queue before it started.',
    'status.line': '**{name}**: {status}, step {step} of {total}, {rate}, elapsed {elapsed}, ETA {eta}{msg}',
    'status.rate': '{rate:,.0f} images/s',
    'status.queued_word': 'queued',
    'status.training': 'training',
    'status.paused': 'paused',
    'status.stopped': 'stopped',
    'status.done': 'done',
    'status.failed': 'failed',
    'status.cancelled_word': 'cancelled',
    'error.choose_checkpoint': 'Choose a checkpoint first (or train one below).',
    'error.no_run_pause': 'No run to pause.',
    'error.no_run_stop': 'No run to stop.',
    'text.temperature_05': 'Temperature 0.5', 'text.temperature_10': 'Temperature 1.0', 'text.temperature_15': 'Temperature 1.5',
    'app.device_line': '**Device:** {device}',
    'text.loss_plot': "Loss (nats per token; the char models' tokens are characters)",
    'text.sample_box': 'Sample at the latest evaluation', 'text.replay': 'Replay: sample at snapshot',
    'vae.describe': '{arch} VAE, z = {z_dim}, β = {beta:g}; trained {steps} steps on {dataset}',
    'vae.describe_metrics': '; at save: reconstruction {recon:.1f} nats, KL {kl:.2f} nats per image',
}
