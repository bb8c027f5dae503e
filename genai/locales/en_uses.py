"""English words of the "What they are for" tab: repair, upscaling and synthetic training data
(genai/strategies.py, genai/synthetic.py; merged into en.py's catalogue: genai/locales/__init__.py)."""
CODE = "en"

STRINGS = {
    'app.tab_uses': "What they are for",
    'uses.intro': r"""
The models on the other tabs draw digits from noise. What are such models **for**? Three uses the
course names, each tried here on **held-out digits** (ones no model trained on), by the shipped
models, and measured (BENCHMARKS.md, "What image generators are for").
""",
    'uses.repair_explain': r"""
### Repair (image inpainting)
Pick a held-out digit, choose what to erase (a preset, or paint over it with the brush and choose
"my brush strokes"), and each model fills the gap; the known pixels stay as they were.
- **Diffusion, RePaint** (Lugmayr et al. 2022): the reverse process runs as usual, but at every step
  the known pixels are replaced by the original noised to that step, so the model only invents the
  gap; it steps back up now and then (resampling) so that the fill agrees with the rest.
- **GAN, sampling by optimisation** (Yeh et al. 2017): a GAN has no encoder, so we *search* its
  input: the z (and label) whose image matches the known pixels, plus a prior term that keeps z
  where the GAN was trained. 128 random starts, the best refined by 100 steps of Adam.
- **VAE, the same search** under the VAE's decoder: the most probable z given only the known
  pixels, started from the encoder. (Not encode-decode with the known pixels clamped: the encoder
  never saw a digit with a hole, and encodes the hole too.)
- **Nearest**: no model, the training digit most like the known pixels, pasted into the gap.

Each row is another seed: where the fills differ, the model is unsure (is that a 4 or a 9?).
""",
    'uses.digit': "Held-out digit",
    'uses.digit_info': "one of the 2,000 digits no model trained on",
    'uses.mask': "What to erase",
    'uses.mask_bottom': "bottom half",
    'uses.mask_left': "left half",
    'uses.mask_centre': "centre square",
    'uses.mask_random75': "75% of the pixels, at random",
    'uses.mask_brush': "my brush strokes",
    'uses.editor': "Paint over what to erase, then choose \"my brush strokes\"",
    'uses.fills': "Fills of one mask",
    'uses.ask_digit': "Diffusion: ask for a digit",
    'uses.ask_any': "no (unconditional)",
    'uses.ckpt_diffusion': "Diffusion model",
    'uses.ckpt_gan': "GAN",
    'uses.ckpt_vae': "VAE",
    'uses.repair': "Repair",
    'uses.col_known': "Known pixels",
    'uses.col_diffusion': "Diffusion (RePaint)",
    'uses.col_gan': "GAN (search)",
    'uses.col_vae': "VAE (search)",
    'uses.col_nearest': "Nearest digit",
    'uses.col_original': "Original",
    'uses.times': "Seconds for {n} fills on this server: diffusion {diffusion}, GAN {gan}, VAE {vae}, "
                  "nearest {nearest}. Masked-pixel error (mean squared, 0 is perfect): diffusion {e_diffusion}, "
                  "GAN {e_gan}, VAE {e_vae}, nearest {e_nearest}.",
    'uses.upscale_explain': r"""
### Upscaling (super-resolution)
The digit is shrunk to 7x7 (or 14x14) by averaging blocks of pixels; the diffusion model brings it
back to 28x28 with **ILVR** (Choi et al. 2021): after every reverse step, the image's coarse part
(its block averages) is replaced by the low-resolution digit's, noised to that step, so the model
draws only the detail. Beside it, **bicubic** interpolation (a smooth guess, no knowledge of digits)
and the **nearest** training digit at low resolution.
""",
    'uses.low_size': "Low resolution",
    'uses.upscale': "Upscale",
    'uses.col_low': "Low resolution",
    'uses.col_ilvr': "Diffusion (ILVR)",
    'uses.col_bicubic': "Bicubic",
    'uses.upscale_times': "Seconds for {n} upscalings on this server: diffusion {diffusion}.",
    'uses.cas_explain': r"""
### Synthetic training data (data augmentation)
Can generated digits *teach*? A small classifier is trained on each class-conditional model's
digits alone (100 of each digit, asked for by class), and tested on 2,000 real held-out digits:
the **Classification Accuracy Score** (Ravuri & Vinyals 2019). Beside it, the augmentation a
practitioner would try: 100 real digits alone, and the same 100 with the model's 1,000 added; and,
as the reference, 1,000 real digits. Every classifier is the same small network with the same
training.
""",
    'uses.cas': "Train the classifiers",
    'uses.cas_table': "Accuracy on 2,000 real held-out digits",
    'uses.col_model': "trained on",
    'uses.col_accuracy': "accuracy",
    'uses.col_fid': "model's FID (lower is closer)",
    'uses.row_real': "1,000 real digits (the reference)",
    'uses.row_few': "100 real digits",
    'uses.row_generated': "{model}: its 1,000 digits only (CAS)",
    'uses.row_few_plus': "100 real + {model}'s 1,000",
    'uses.cas_progress': "{model}: {what}",
    'uses.step_generating': "drawing 100 digits of each class",
    'uses.step_generated': "training a classifier on its digits",
    'uses.step_few_real': "training a classifier on 100 real digits",
    'uses.step_few_real_plus_generated': "training a classifier on 100 real digits and its own",
    'uses.step_real': "training a classifier on 1,000 real digits",
    'uses.step_done': "done",
    'uses.cas_why': r"""
**What FID and this score say, measured here.** FID compares the statistics of a whole sample with
real digits' and never looks at which digit a sample was asked to be; the accuracy score asks
whether each class's samples cover that class, unusual 7s included. On these models the two
agree: the diffusion model is ahead on both. What disagrees with the accuracy score is how *sure*
the digits look: more guidance (1 to 5) raises the share of diffusion digits read as the one
asked for from 92% to 99.7% while the score falls from 96.6% to 91.7%, and truncating the GAN's
noise (psi 1 to 0.5) does the same (97% to 99.9% asked-for, 94% to 88%). Sharper, surer digits
narrow each class to its typical digits, and a classifier trained on them has never met an
unusual one. A model can look better and teach worse; and no model's digits alone teach as well
as as many real ones (BENCHMARKS.md).
""",
    'uses.err_mask_name': "Unknown mask {name!r}; choose one of {names}",
    'uses.err_shape': "{name} must be an array of shape (N, {size}, {size}) (got {shape})",
    'uses.err_count': "{name} holds {n} images; give from 1 to {most} a call",
    'uses.err_range': "{name} must be finite numbers from 0 to 1 (0 black, 1 white ink)",
    'uses.err_mask_shape': "The mask must be one (28, 28) array for all images, or one per image "
                           "((N, 28, 28) with N = {n}); got {shape}",
    'uses.err_mask_values': "The mask must hold only 0 (to fill) and 1 (known)",
    'uses.err_mask_empty': "A mask is all 0: nothing is known, so there is nothing to repair from "
                           "(that is sampling; see the other tabs)",
    'uses.err_mask_full': "A mask is all 1: nothing is missing, so there is nothing to fill",
    'uses.err_family': "This is a {family} checkpoint; this needs one of: {wanted}",
    'uses.err_low_shape': "The low-resolution images must be (N, 7, 7) or (N, 14, 14) (got {shape})",
    'uses.err_cas_family': "The accuracy score needs a class-conditional model (one you can ask for a "
                           "digit): the conditional GAN or the diffusion model",
    'uses.err_no_brush': "Paint over part of the digit first (the brush), or choose a preset mask",
}
