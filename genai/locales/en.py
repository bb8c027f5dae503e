"""English: the catalogue every other language follows (genai/ui/i18n.py). Keys are
meaningful names, grouped by tab; values are what the page shows. Equations stay as they are."""
CODE = "en"
NAME = "English"

STRINGS = {
    'app.intro': r"""# Generative AI Lab
Train generative models live and sample from them: a GAN that learns to draw digits, a VAE whose
latent space you can walk through, a diffusion model that turns noise into a digit step by step,
a small GPT that writes like Shakespeare. Every tab works on
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
collapse*, the generator draws only a few kinds of digit). The **Inception Score** (from 1 to 10
here; real digits score 9.8) is high when each digit is clear and all ten are drawn.
The DCGAN the tab opens with is *self-conditioned* (Liu et al., 2020): before training, k-means
sorted the training digits into 50 clusters (no labels), and $G$ and $D$ are told each image's
cluster, so $G$ keeps the kinds of stroke apart instead of drawing shapes in between. The shipped
MLP GAN is self-conditioned too, on 100 clusters.
""",
    'gan.experiment': r"""
**Guided experiment: a discriminator that learns too fast.** Train the `dcgan-bce` preset (BCE loss
and a batch-norm D, as Radford et al. 2016 wrote it) with seed 0 for 600 steps. Then train it again
with the *D learning rate* ten times larger (0.002) and the same seed, and overlay the two runs in
the *Training monitor* (metrics `D(x)`, `D(G(z))`, `heldout_fid`). What to look for: when D runs
ahead, D(x) sits near 1 and D(G(z)) near 0, G's loss climbs, and G learns less from each step;
watch whether the FID falls more slowly and the class histogram narrows. Then repeat with the
`dcgan` preset (hinge loss, spectrally normalised D): spectral normalisation limits how fast D can
run ahead, which is what that preset uses it for.
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
Every run of yours (from any of your devices, before a restart too), and runs started from the
command line, live.
Pick runs to overlay their curves; *smoothing* is an exponential moving average (debiased, as
TensorBoard's), drawn over the raw curve in a lighter shade so that smoothing never hides the
truth. The step slider replays a run's samples. A stopped run can be resumed from its last
checkpoint, or forked: same weights, changed settings, as a new run. A run a server restart cut
off shows as *interrupted*: *Resume from checkpoint* takes it on from its last checkpoint.
*Export* takes a run home as a zip; *Import* brings it back, on any day, resumable.

*Share with the class* gives a link: everyone who opens it (or picks the run here, marked
*watching*) sees the run live, on the projector and on every screen, for the compute of one
run. Watchers cannot pause, stop or change it; *Fork* gives them a run of their own from it.
""",
    'app.tab_gan': 'Image GAN',
    'app.tab_vae': 'VAE latent space',
    'app.tab_text': 'Text continuation',
    'app.tab_monitor': 'Training monitor',
    'app.device': 'Device',
    'app.language': "Language: the page follows your browser's language; the links at the top right (English · 简体中文) switch it for this browser session.",
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
    'gan.preset_info': ('lesson (digits in about 18 s of one core), cpu-fast (clean digits in about 2 minutes), '
                        'mlp, dcgan, cdcgan (conditional), dcgan-small'),
    'gan.loss': 'Loss',
    'gan.lr_g': 'G learning rate',
    'gan.lr_d': 'D learning rate',
    'gan.upload': 'Your images (PNG/JPEG files or a zip)',
    'gan.upload_choice': 'your images (upload)',
    'gan.live': 'Fixed-noise samples',
    'gan.losses_plot': 'G and D losses',
    'gan.d_plot': 'D(x) and D(G(z))',
    'gan.is_plot': 'Inception Score (real digits: 9.8)',
    'gan.fid_plot': 'Classifier FID (held-out digits)',
    'gan.hist_plot': 'Class histogram of samples (latest)',
    'gan.replay': 'Replay: the sample grid at this point of the run (% of its snapshots)',
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
    'monitor.keep': 'Keep my runs training even when none of my pages is open (otherwise they stop, saved, once no page of mine has been open for a while)',
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
    'status.queued': '**{name}**: queued, place {place} of {waiting} in the queue, {when}. *Stop* takes it out of the queue.',
    'status.starts_in': 'starts in about {wait} (estimated from the runs ahead of it)',
    'status.start_unknown': 'start time not known yet (worked out once the runs ahead of it are under way)',
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
    'device.cuda': 'CUDA GPU: {name} ({amp})',
    'device.mps': 'Apple GPU (MPS, fp32)',
    'device.cpu': 'CPU ({threads} training thread(s) of {cores} cores, fp32)',
    'app.device_line': '**Device:** {device}',
    'text.loss_plot': "Loss (nats per token; the char models' tokens are characters)",
    'text.sample_box': 'Sample at the latest evaluation',
    'text.replay': 'Replay: the sample at this point of the run (% of its snapshots)',
    'vae.describe': '{arch} VAE, z = {z_dim}, β = {beta:g}; trained {steps} steps on {dataset}',
    'vae.describe_metrics': '; at save: reconstruction {recon:.1f} nats, KL {kl:.2f} nats per image',
    # text the server writes while the page runs: info lines, messages, errors (the core's too)
    'err.not_a_number': '{name} must be a number, not {value}',
    'err.not_finite': '{name} must be a finite number, not {value}',
    'err.not_whole': '{name} must be a whole number, not {value}',
    'err.out_of_range': '{name} must be from {lo} to {hi}, not {value}',
    'err.seed_not_whole': '{name} must be a whole number (got {value})',
    'err.seed_range': '{name} must be from 0 to {max} (got {value})',
    'err.no_run_to_pause': 'No run to pause: start one first.',
    'err.not_your_run': "That run is not one of yours (or has no checkpoint yet): choose one from the list.",
    'err.no_checkpoint_called': 'No checkpoint called {name}: choose one from the list.',
    'ui.your_run': 'your run: {name}',
    'gan.info_clusters': 'self-conditioned: G and D take one of {k} clusters of the training images that k-means found (no labels used)',
    'gan.info_conditional': 'conditional {kind}',
    'gan.info_model': '{kind}, {loss} loss, z = {z}',
    'common.info_trained': 'trained {steps} steps on {dataset}',
    'common.info_minutes': ' ({minutes} min)',
    'gan.info_is': 'Inception Score {score} (real digits 9.8)',
    'gan.info_truncation': 'z scaled by {psi} when sampling (the truncation trick: surer digits, less variety)',
    'gan.info_asked': 'the classifier reads {share} as the asked-for digit',
    'gan.info_close': 'against 1,000 held-out digits: FID {fid}, {times} times real digits\' own ({real}); KID {kid} (real digits {real_kid})',
    'gan.info_classes': 'class entropy {entropy}, confident {confident}',
    'gan.info_quality': 'FID {fid}, class entropy {entropy}, confident {confident}',
    'common.info_sep': '; ',
    'err.choose_checkpoint_or_train': 'Choose a checkpoint first (or train one below).',
    'err.choose_checkpoint': 'Choose a checkpoint first.',
    'err.conditional_needs_labels': 'The conditional GAN needs labelled images; choose a labelled data set',
    'common.no_run_to_stop': 'No run to stop.',
    'gan.live_at': 'Fixed-noise samples at step {step}',
    'err.gif_needs_run': 'Train a run first: its sample history becomes the GIF.',
    'plot.step': 'step',
    'plot.value': 'value',
    'plot.series': 'series',
    'plot.digit': 'digit',
    'plot.share': 'share',
    'monitor.watching': ' (watching)',
    'monitor.shared': ' (shared)',
    'monitor.col_run': 'run',
    'monitor.col_model': 'model',
    'monitor.col_data': 'data',
    'monitor.col_status': 'status',
    'monitor.col_step': 'step',
    'monitor.col_speed': 'images|tokens/s',
    'monitor.col_elapsed': 'elapsed',
    'monitor.col_eta': 'ETA',
    'monitor.col_device': 'device',
    'monitor.col_memory': 'memory',
    'err.choose_run': 'Choose a run first.',
    'monitor.samples': 'Samples',
    'monitor.text_at': 'Text sample at step {step}',
    'monitor.samples_at': 'Samples at step {step}',
    'monitor.text_sample': 'Text sample',
    'monitor.setting': 'setting',
    'err.cli_run': '{run} was started from the command line: control it there.',
    'err.watched_run_control': "{run} is someone else's shared run: you can watch it and fork it, but only the person who started it can pause or stop it.",
    'err.watched_run_resume': "{run} is someone else's shared run: fork it to train a run of your own.",
    'err.stop_first': 'Stop the run first; then resume it from its checkpoint.',
    'err.no_checkpoint_yet': '{run} has no checkpoint to start from yet (a queued run has not started).',
    'err.uploaded_data_gone': '{run} trained on uploaded data, which is not kept: start a new run in its tab.',
    'err.fork_settings': 'Fork settings must be a JSON object, e.g. {"lr_d": 0.0002}',
    'err.all_steps_done': '{run} already finished all its steps; fork it to train more.',
    'monitor.forked': '{name}: {run} forked with {changes}.',
    'monitor.resumed': '{name}: {run} resumed from step {step}.',
    'err.share_own_runs': 'Only a run you started in this page can be shared.',
    'monitor.shared_note': "**{run}** is shared with the class. Link: [{link}]({link}) (also under *Runs* in every student's monitor, marked *watching*). Watchers see it live and can fork it; only you can pause or stop it.",
    'monitor.watching_note': 'You are watching **{name}**, shared with the class: it updates live. *Fork as a new run* trains a copy of your own.',
    'status.rate_text': '{rate:,.0f} windows/s',
    'err.not_text_model': '{name} is a {family} checkpoint, not a text model',
    'err.model_not_numbers': "this model's probabilities for what comes next are not numbers (NaN): its "
                             "weights diverged in training; train it again with a smaller learning rate",
    'err.decoding_ended': 'The process that draws the text ended unexpectedly; press the button again.',
    'err.hub_id_empty': 'Type a Hugging Face Hub model id, such as distilgpt2 or openai-community/gpt2.',
    'err.not_hub_id': '{name} is not a Hugging Face Hub model id: give one like distilgpt2 or openai-community/gpt2 (this server does not load models from folders).',
    'text.info_lora': 'LoRA rank {r}',
    'text.info_full': 'every weight',
    'text.info_heldout_tokens': ', held-out loss {loss} nats/token = {per_char} nats/char',
    'text.info_pretrained': '{base}, pretrained (not fine-tuned here)',
    'text.info_fine_tuned': '{base} fine-tuned ({how}); {trained}{held}',
    'text.info_gpt': 'char GPT, {layers} layers x {width}',
    'text.info_lstm': 'char LSTM, {layers} x {width}',
    'text.info_heldout': ', held-out loss {loss} nats/char',
    'text.info_char': '{kind}, context {context}; {trained}{held}',
    'err.choose_model_above': 'Choose a model above first',
    'err.prompt_not_text': 'The prompt must be text',
    'plot.token': 'token',
    'plot.probability': 'probability',
    'err.choose_model': 'Choose a model first.',
    'text.info_hub': 'A pretrained model from the Hugging Face Hub (needs internet the first time).',
    'text.cannot_load': 'Cannot load: {why}',
    'err.continue_first': 'Continue a prompt first.',
    'text.alts_after': 'After ...{context}: chosen {char} had p = {p} (rank {rank})',
    'err.no_text_given': 'Upload a .txt file or paste some text first',
    'text.sample_at': 'Sample at step {step}',
    'err.map_needs_2d': 'A latent map needs at least 2 latent dimensions; this VAE has {z_dim}.',
    'vae.slider_of': 'z{i} (latent dimension {i} of {z_dim})',
    'err.digit_empty': 'Digit {name} is empty: {tip}.',
    'err.digit_bad': 'Digit {name}: {why}',
    'err.linear_or_slerp': 'Choose linear or slerp.',
    'vae.map_2d': "**2-D latent**: the axes are z1 and z2 themselves; the map decodes a {n}×{n} grid spaced by the prior's quantiles (equal areas, equal prior mass), so it spans ±{lim}, the middle {middle} of N(0, 1) on each axis.",
    'vae.map_pca': "**{z_dim}-D latent**, seen through its first two principal components (they hold {explained} of the spread of the held-out means); the map decodes a {n}×{n} grid in that plane around their mean, ±{lim} standard deviations along each. The sliders change the first {sliders} of the {z_dim} dimensions; the others keep the chosen point's values.",
    'vae.map_data': 'Held-out digits from *{dataset}*.',
    'plot.train': 'train',
    'plot.heldout': 'held-out',
    'plot.heldout_per_char': 'held-out, per character',
    'err.give_beta_lr': 'Give β and the learning rate (1 and 1e-3 are a good start)',
    'err.ckpt_no_file': '{name}: no such checkpoint file',
    'err.ckpt_no_sidecar': '{name}: the JSON sidecar {sidecar} is missing',
    'err.ckpt_bad_json': '{name}: not valid JSON ({why})',
    'err.ckpt_not_sidecar': '{name}: not a Generative AI Lab checkpoint sidecar',
    'err.ckpt_version': '{name}: format version {version}, this app reads {reads}',
    'err.ckpt_sidecar_lacks': '{name}: the sidecar has no {key}',
    'err.ckpt_family': '{name} is a {family} checkpoint, not a {wanted} one',
    'err.ckpt_too_large': '{name} is larger than {mb} MB',
    'err.ckpt_damaged': '{name}: the weights file is damaged or not safetensors ({why})',
    'err.ckpt_misfit': '{name}: weights do not fit the model its config describes: {why}',
    'err.ckpt_no_such_name': 'No checkpoint named {name} (family: {family})',
    'err.image_bomb': '{name} has far too many pixels to read (a decompression bomb?); digits need only 28x28',
    'err.image_unreadable': '{name} is not a readable image ({why})',
    'err.upload_too_large': 'The upload is larger than {mb} MB',
    'err.image_too_many_pixels': '{name} is {w}x{h} pixels, more than {most}: a digit needs only 28x28; upload a smaller image',
    'err.zip_member': 'The zip {name} cannot be read at {member}: {why}. Make the zip again (stored or deflated, no password)',
    'err.zip_too_large': 'The zip holds more than {mb} MB or {n} images',
    'err.two_images': 'Give at least two images (PNG or JPEG files, or a zip of them)',
    'err.unknown_corpus': 'Unknown text corpus {name}',
    'err.text_too_large': 'The text is larger than {mb} MB',
    'err.text_not_utf8': 'The text is not UTF-8 (bad byte at position {at})',
    'err.text_too_short': 'The text is too short to train on: {n} characters, at least {least} needed',
    'err.unknown_images': 'Unknown image data set {name}; choose one of {choices}',
    'err.spec_whole': '{name} must be a whole number from 1 to {hi} (got {value})',
    'err.spec_number': '{name} must be a number, not {value}',
    'err.spec_lr': 'The learning rate {name} must be above 0 and at most 1 (got {value}); 1e-4 to 2e-3 is usual here',
    'err.spec_min_lr': 'min_lr must be from 0 to 1 (got {value})',
    'err.unknown_family': 'Unknown model family {name}; choose one of {choices}',
    'err.unknown_preset': 'Unknown {family} preset {name}; choose one of {choices}',
    'err.unknown_setting': '{family} has no setting(s) {names}',
    'err.runs_per_session': 'You already have {n} runs queued or training (at most {most} each, so that everyone in the class gets a turn). Stop or cancel one, then start this one.',
    'err.no_such_run': 'No run {name} in this session',
    'err.no_shared_run': 'No shared run with that link on this server (it may have been restarted).',
    'status.cancelled_in_queue': 'Cancelled while waiting in the queue.',
    'err.no_result': 'The run ended without a result.',
    'err.process_ended': 'The training process ended unexpectedly ({why}); the run\'s last checkpoint is kept.',
    'err.process_ended_unsaved': 'The training process ended unexpectedly ({why}), before the run had saved a checkpoint.',
    'err.exit_code': 'exit code {code}',
    'err.killed_by': 'stopped by {signal}',
    'err.killed_oom': 'killed by SIGKILL: on a server, most often because its memory ran out',
    'err.could_not_start': 'it could not start: {error}',
    'err.thread_returned': 'its training thread returned',
    'err.relay_failed': 'the server could not read it',
    'train.cause_lr': 'the learning rate is the usual cause ({lrs}): try a lower learning rate, ten times smaller',
    'train.cause_lower_lr': 'try a lower learning rate',
    'train.kept': 'Its checkpoint from step {step} is kept: choose the run under Checkpoint to sample it, or resume it from the monitor with a lower learning rate.',
    'train.none_kept': 'No checkpoint had been saved yet.',
    'train.diverged': 'Training diverged at step {step} ({bad}), so it was stopped; {cause}. {kept}',
    'train.out_of_memory_gpu': 'The GPU ran out of memory with a batch of {batch}. Try a batch size of {smaller} (or a smaller preset); other runs and the page go on.',
    'train.out_of_memory': 'The computer ran out of memory with a batch of {batch}. Try a batch size of {smaller} (or a smaller preset); other runs and the page go on.',
    'err.file_unreadable': 'The file {name} cannot be read on the server ({why}): it may have been removed; choose another, or train again',
    'err.not_a_flag': '{name} must be true or false (got {value})',
    'err.not_a_digit': 'Digit {name} is not a digit to encode ({why}). {tip}',
    'sketch.filled': 'the ink covers {share} of the pad: a filled square, not a digit',
    'sketch.dot': 'it is a dot, too small to be a digit',
    'err.beta': 'β must be from 0 to {most} (1 is the plain VAE; got {value})',
    'err.text_empty': 'The training text is empty',
    'err.text_shorter_than_window': 'The training text ({n} characters) is shorter than one window of block_size + 1 = {window} characters',
    'err.text_shorter_than_window_tokens': 'The training text ({n} tokens) is shorter than one window of {window} tokens',
    'lm.not_on_hub': 'not found on the Hugging Face Hub',
    'lm.offline': 'offline: the Hugging Face Hub cannot be reached and it is not in the local cache',
    'err.hub_load': 'Could not load {name} ({why}; {kind}). The shipped model still works.',
    'err.hub_too_large': '{name} has {billions} billion parameters, more than this server loads ({millions} million; GENAI_MAX_HUB_PARAMS). Try distilgpt2 or gpt2.',
    'field.steps': 'Steps',
    'field.batch_size': 'Batch size',
    'err.spec_seed': 'The seed must be a whole number from 0 to {max} (got {value})',
}
