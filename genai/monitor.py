"""What the training monitor shows, without the UI: one view of every run (live jobs of this
session and runs on disk from the CLI), smoothed curves, the media at a step, settings side by
side, and export as a zip with TensorBoard logs."""
from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from genai import device as devmod, models, runlog
from genai.jobs import ACTIVE, Job, JobRunner


def smooth(values: list[float], weight: float) -> list[float]:
    """Exponential moving average with debiasing (as TensorBoard and Adam do):
    m_t = w * m_{t-1} + (1 - w) * x_t with m_0 = 0, reported as m_t / (1 - w^t), so the first
    points are not dragged towards zero."""
    out, m = [], 0.0
    for t, x in enumerate(values, 1):
        m = weight * m + (1 - weight) * x
        out.append(m / (1 - weight**t) if weight < 1 else x)
    return out


def runs_for(runner: JobRunner, owner: str) -> list[dict]:
    """This session's live runs, runs others shared with the class (to watch and fork, not to
    control), then runs on disk it may see (CLI runs, and its own past ones)."""
    views = [job_view(j) for j in runner.jobs(owner)]
    views += [job_view(j, watching=True) for j in runner.shared() if j.owner != owner]
    live = {v["name"] for v in views}
    views += [disk_view(r) for r in runlog.list_disk_runs(owner=owner) if r["name"] not in live]
    return views


def job_view(job: Job, watching: bool = False) -> dict:
    return {"name": job.name, "watching": watching, "shared": job.share_token is not None,
            "family": job.spec.family, "dataset": job.spec.dataset, "status": job.status,
            "step": job.step, "total": job.total, "items_per_s": job.items_per_s, "elapsed": job.elapsed(),
            "eta": job.eta(), "device": devmod.describe(job.device).split(" (")[0],
            # an ended run holds no memory (and a number that moves kept the page redrawing)
            "memory": devmod.memory_in_use(job.device) if job.status in ACTIVE else "-",
            "rows": job.rows, "media": job.media,
            "spec": asdict(job.spec), "checkpoint": job.checkpoint, "job": job, "message": job.message}


def disk_view(run: dict) -> dict:
    st, spec = run["status"], run["spec"]
    rate = next((r["items_per_s"] for r in reversed(run["rows"]) if "items_per_s" in r), 0.0)
    stale = st.get("status") == "training" and time.time() - st.get("updated", 0) > 120
    return {"name": run["name"], "family": spec["family"], "dataset": spec["dataset"],
            "status": "stopped" if stale else st.get("status", "?"), "step": st.get("step", 0),
            "total": st.get("total", spec["steps"]), "items_per_s": rate,
            "elapsed": st.get("updated", time.time()) - st.get("started", time.time()), "eta": None,
            "device": st.get("device", "").split(" (")[0] + " (CLI)", "memory": "-", "rows": run["rows"],
            "media": run["media"], "spec": spec, "checkpoint": st.get("checkpoint"), "job": None,
            "watching": False, "shared": False,
            "message": st.get("message", "")}


def fork_checkpoint(job: Job, timeout: float = 20.0) -> str | None:
    """A checkpoint of a run as it is now, to fork from: a training run is asked to save one
    (at its next step), a finished run offers its last."""
    if not job.active or job.status == "queued":
        return job.checkpoint
    before = job.checkpoint
    since = max((i for i, _ in job.events()), default=-1)
    job.control.request_save()
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(e.kind == "checkpoint" for _, e in job.events(since)) or not job.active:
            return job.checkpoint
        time.sleep(0.05)
    return before


def metric_names(views: list[dict]) -> list[str]:
    names = []
    for v in views:
        for r in v["rows"]:
            names += [k for k in r if k not in ("step", "time") and k not in names and not _is_class_share(k)]
    return names


def _is_class_share(key: str) -> bool:  # the ten per-class shares have their own histogram
    return key.startswith("heldout_class_") and key[len("heldout_class_"):].isdigit()


def media_at(view: dict, step: int):
    """The latest medium at or before ``step`` (the slider moves every medium together)."""
    chosen = None
    for s, m in view["media"]:
        if s <= step:
            chosen = (s, m)
    if chosen is None and view["media"]:
        chosen = view["media"][0]
    if chosen is None:
        return None, None
    s, m = chosen
    if isinstance(m, Path):  # a disk run's file
        m = Image.open(m) if m.suffix == ".png" else m.read_text("utf-8")
    return s, m


def settings_table(views: list[dict]) -> tuple[list[str], list[list]]:
    """Rows of (setting, value per run); the model config of each run is read from its
    family's presets plus overrides, as the run built it."""
    cols, per_run = [], []
    for v in views:
        spec = v["spec"]
        try:
            cfg = asdict(models.make_config(spec["family"], spec.get("preset"), **spec.get("overrides", {})))
        except (ValueError, TypeError):
            cfg = dict(spec.get("overrides", {}))
        settings = {k: spec[k] for k in ("family", "preset", "dataset", "steps", "batch_size", "seed")}
        settings.update({k: v_ for k, v_ in cfg.items() if not isinstance(v_, list)})
        if spec.get("init_from"):
            settings["init_from"] = Path(spec["init_from"]).parent.name
        per_run.append(settings)
        cols.append(v["name"])
    keys = []
    for s in per_run:
        keys += [k for k in s if k not in keys]
    return cols, [[k] + [s.get(k, "") for s in per_run] for k in keys]


def export_zip(view: dict, dest: str | Path) -> Path:
    """The run as a zip: config.json, metrics.csv, samples/, checkpoint/ and tensorboard/."""
    dest = Path(dest)
    rows = view["rows"]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", json.dumps({"run": view["name"], "spec": view["spec"]}, indent=1, default=str))
        keys = ["step"] + [k for k in metric_names([view]) if k != "step"]
        buf = io.StringIO()
        w = csv.DictWriter(buf, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        z.writestr("metrics.csv", buf.getvalue())
        for step, m in view["media"]:
            if isinstance(m, Path):
                z.write(m, f"samples/{step:08d}{m.suffix}")
            elif isinstance(m, Image.Image):
                b = io.BytesIO()
                m.save(b, "PNG")
                z.writestr(f"samples/{step:08d}.png", b.getvalue())
            else:
                z.writestr(f"samples/{step:08d}.txt", str(m))
        if view["checkpoint"]:
            ck = Path(view["checkpoint"])
            for p in (ck.with_suffix(".safetensors"), ck.with_suffix(".json")):
                if p.exists():
                    z.write(p, f"checkpoint/{p.name}")
        for name, data in tensorboard_files(view).items():
            z.writestr(f"tensorboard/{name}", data)
    return dest


def tensorboard_files(view: dict) -> dict[str, bytes]:
    """TensorBoard event files for the run's scalars and sample images (via tensorboardX)."""
    import tempfile

    import numpy as np
    from tensorboardX import SummaryWriter

    with tempfile.TemporaryDirectory() as tmp:
        w = SummaryWriter(tmp)
        for r in view["rows"]:
            for k, v in r.items():
                if k not in ("step", "time"):
                    w.add_scalar(k, v, r["step"], walltime=r.get("time"))
        for step, _ in view["media"]:
            _, m = media_at(view, step)
            if isinstance(m, Image.Image):
                w.add_image("samples", np.asarray(m.convert("L"))[None], step)
            elif isinstance(m, str):
                w.add_text("samples", m, step)
        w.close()
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir()}
