"""What the training monitor shows, without the UI: one view of every run (live jobs of this
session and runs on disk from the CLI), smoothed curves, the media at a step, settings side by
side, and export as a zip with TensorBoard logs."""
from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
import zlib
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from genai import device as devmod, models, runlog
from genai.jobs import ACTIVE, INTERRUPTED, RUNNING, Job, JobRunner
from genai.locales import said


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
    stale = st.get("status") in ACTIVE and time.time() - st.get("updated", 0) > 120
    return {"name": run["name"], "family": spec["family"], "dataset": spec["dataset"],
            "status": INTERRUPTED if stale else st.get("status", "?"), "step": st.get("step", 0),
            "total": st.get("total", spec["steps"]), "items_per_s": rate,
            "elapsed": st.get("updated", time.time()) - st.get("started", time.time()), "eta": None,
            "device": st.get("device", "").split(" (")[0] + " (CLI)", "memory": "-", "rows": run["rows"],
            "media": run["media"], "spec": spec, "checkpoint": runlog.checkpoint_in(run["folder"], st.get("checkpoint")),
            "job": None,
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


# -- bringing an exported run back (a zip is bad input until proven otherwise)
MAX_IMPORT_BYTES = 64 * 2**20  # the zip itself
MAX_IMPORT_UNPACKED = 256 * 2**20  # all its members, unpacked
MAX_IMPORT_MEMBERS = 1000
MAX_SAMPLE_PIXELS = 4_000_000  # a sample grid is about 250x250
MEMBER = re.compile(r"^(config\.json|metrics\.csv|samples/\d{1,9}\.(png|txt)|checkpoint/[A-Za-z0-9_.-]{1,100}"
                    r"\.(safetensors|json)|tensorboard/[A-Za-z0-9_.-]{1,200})$")


class ImportRefused(ValueError):
    """A zip that cannot be imported; the message says why, and nothing was written."""


def _refuse(key: str, **fields) -> ImportRefused:
    return said(ImportRefused, key, **fields)


def check_zip(z: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members of an exported run, or ImportRefused: names only of the export's own layout
    (no folder outside the run, no absolute path, no pickle), sizes bounded, no encryption, only
    stored or deflated members."""
    infos = z.infolist()
    if len(infos) > MAX_IMPORT_MEMBERS:
        raise _refuse("err.import_members", n=len(infos), most=MAX_IMPORT_MEMBERS)
    if sum(i.file_size for i in infos) > MAX_IMPORT_UNPACKED:
        raise _refuse("err.import_unpacked", most=MAX_IMPORT_UNPACKED // 2**20)
    for i in infos:
        if i.is_dir():
            continue
        if not MEMBER.match(i.filename):
            raise _refuse("err.import_member", name=repr(i.filename[:80]))
        if i.flag_bits & 0x1:
            raise _refuse("err.import_encrypted", name=repr(i.filename[:80]))
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse("err.import_compression", name=repr(i.filename[:80]))
    names = {i.filename for i in infos}
    if "config.json" not in names:
        raise _refuse("err.import_no_config")
    weights = [n for n in names if n.startswith("checkpoint/") and n.endswith(".safetensors")]
    if len(weights) != 1 or weights[0][:-len(".safetensors")] + ".json" not in names:
        raise _refuse("err.import_no_checkpoint")
    return infos


def import_zip(src: str | Path, owner: str = "", runs_dir: str | Path | None = None) -> Path:
    """An exported run (``export_zip``) as a run folder of ``owner``'s again, resumable; its
    folder. ImportRefused for a zip that is not one, with nothing left behind."""
    import shutil

    from genai import checkpoints
    from genai.trainer import TrainSpec, check_spec

    src = Path(src)
    try:
        size = src.stat().st_size
    except OSError:
        raise _refuse("err.import_not_zip") from None
    if size > MAX_IMPORT_BYTES:
        raise _refuse("err.import_too_big", mb=f"{size / 2**20:.1f}", most=f"{MAX_IMPORT_BYTES / 2**20:g}")
    root = Path(runs_dir) if runs_dir else checkpoints.RUNS_DIR
    folder = None
    try:
        with zipfile.ZipFile(src) as z:
            infos = check_zip(z)
            config = json.loads(z.read("config.json").decode("utf-8"))
            if not isinstance(config, dict) or not isinstance(config.get("spec"), dict):
                raise _refuse("err.import_bad_config")
            spec_d = {**config["spec"], "init_from": "", "out": ""}
            try:
                spec = TrainSpec(**spec_d)
                check_spec(spec)
            except (TypeError, ValueError) as e:
                raise _refuse("err.import_bad_settings", why=str(e)[:200]) from None
            base = re.sub(r"[^A-Za-z0-9_-]", "-", str(config.get("run") or spec.family))[:60].strip("-") or "run"
            folder = root / runlog.claim_name(f"{base}-imported", root)
            spec.name = folder.name
            # the checkpoint first: it must load as the family its settings name
            weights = next(i for i in infos if i.filename.endswith(".safetensors"))
            ck = folder / "checkpoint.safetensors"
            ck.write_bytes(z.read(weights))
            ck.with_suffix(".json").write_bytes(z.read(weights.filename[:-len(".safetensors")] + ".json"))
            try:
                model, meta = models.from_checkpoint(str(ck), spec.family, "cpu")
            except (checkpoints.CheckpointError, ValueError, TypeError, RuntimeError, KeyError) as e:
                raise _refuse("err.import_bad_checkpoint", why=str(e)[:200]) from None
            del model
            rows = _metric_rows(z.read("metrics.csv").decode("utf-8")) if "metrics.csv" in z.namelist() else []
            (folder / "media").mkdir()
            for i in infos:
                if i.filename.startswith("samples/"):
                    _copy_sample(z, i, folder / "media" / Path(i.filename).name)
            with open(folder / "metrics.jsonl", "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
            step = int(meta.get("step", 0))
            status = {"status": "stopped", "step": step, "total": max(step, spec.steps), "checkpoint": str(ck),
                      "message": "", "started": time.time(), "updated": time.time(), "imported": src.name[:100]}
            (folder / "status.json").write_text(json.dumps(status))
            (folder / "spec.json").write_text(json.dumps({"spec": asdict(spec), "owner": owner}, indent=1))
    except ImportRefused:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError,
            json.JSONDecodeError, NotImplementedError, RuntimeError) as e:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise _refuse("err.import_damaged", why=f"{type(e).__name__}: {str(e)[:120]}") from None
    return folder


def _metric_rows(text: str) -> list[dict]:
    rows = []
    for r in list(csv.DictReader(io.StringIO(text)))[:200_000]:
        try:
            row = {k: float(v) for k, v in r.items() if k and v not in (None, "")}
        except ValueError:
            continue
        if "step" in row:
            row["step"] = int(row["step"])
            rows.append(row)
    return rows


def _copy_sample(z: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    """A sample image (checked to be a PNG of bounded size) or text; anything else is skipped."""
    data = z.read(info)
    if dest.suffix == ".txt":
        if len(data) <= 200_000:
            dest.write_text(data.decode("utf-8", "replace"), "utf-8")
        return
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG" or img.width * img.height > MAX_SAMPLE_PIXELS:
                return
            img.load()
            img.save(dest, "PNG")
    except (OSError, ValueError, Image.DecompressionBombError):
        return


# -- the teacher's board: every student's runs as cards
QUALITY = ("heldout_fid", "heldout_loss")  # a run's quality figure: the first its family logs


def changed_settings(spec: dict) -> dict:
    """The model settings a run changed from its preset (those a student chose), plus its length."""
    try:
        base = asdict(models.make_config(spec["family"], spec.get("preset")))
        now = asdict(models.make_config(spec["family"], spec.get("preset"), **spec.get("overrides", {})))
    except (ValueError, TypeError):
        base, now = {}, dict(spec.get("overrides", {}))
    out = {k: v for k, v in now.items() if not isinstance(v, (list, dict)) and base.get(k) != v}
    return {**out, "steps": spec.get("steps"), "batch_size": spec.get("batch_size")}


def all_settings(spec: dict) -> dict:
    """Every plain setting of a run (its model config, steps, batch, seed): what the board plots."""
    try:
        cfg = asdict(models.make_config(spec["family"], spec.get("preset"), **spec.get("overrides", {})))
    except (ValueError, TypeError):
        cfg = dict(spec.get("overrides", {}))
    cfg = {k: v for k, v in cfg.items() if isinstance(v, (int, float, str, bool))}
    return {**cfg, **{k: spec.get(k) for k in ("steps", "batch_size", "seed")}}


def board(runner: JobRunner, hidden_too: bool = False) -> list[dict]:
    """Every run of the class (students sorted by name), as the teacher's board shows it."""
    roster = runner.roster
    cards = []
    for job in sorted(runner.jobs(), key=lambda j: (roster.name(j.owner).lower() or "~", j.queued_at)):
        hidden = job.name in roster.hidden
        if hidden and not hidden_too:
            continue
        spec = asdict(job.spec)
        key = next((k for k in QUALITY if k in job.latest), None)
        cards.append({"run": job.name, "student": roster.name(job.owner), "owner": job.owner,
                      "online": roster.online(job.owner), "family": job.spec.family, "preset": job.spec.preset,
                      "changed": changed_settings(spec), "settings": all_settings(spec), "status": job.status,
                      "step": job.step, "total": job.total, "eta": job.eta(), "quality_key": key,
                      "quality": job.latest.get(key) if key else None,
                      "media": job.media[-1][1] if job.media else None, "hidden": hidden, "job": job})
    return cards


def class_progress(cards: list[dict]) -> dict:
    """Where the class stands, for the line above the board (``cards`` as ``board`` gives them):
    how many students have a trained model (a run of theirs done) of those who started one, runs
    training and waiting, and when the last of them should end (None while any run's end is not
    known yet: the queue's estimates need a run past its first evaluations, genai/jobs.py). The
    goal a teacher plans by: every student with a model within ten minutes (BENCHMARKS.md, issue
    31), which only some servers reach."""
    owners = {c["owner"] for c in cards if c["owner"]}
    trained = {c["owner"] for c in cards if c["owner"] and c["status"] == "done"}
    active = [c for c in cards if c["status"] in ACTIVE]
    etas = [c["eta"] for c in active]
    return {"students": len(owners), "trained": len(trained),
            "training": sum(c["status"] in RUNNING for c in active),
            "waiting": sum(c["status"] == "queued" for c in active),
            "last_end": None if None in etas else max(etas, default=0.0)}
