"""Classroom benchmark: N simulated students, each its own gradio_client session against a served
app on 127.0.0.1, who within the same few seconds start a lesson-length GAN run, wait for it,
sample from it, interpolate in the VAE tab and continue a text prompt; while their run waits or
trains they use the tabs now and then (a sample, an interpolation, a continuation).

    python bench/classroom.py --students 10
    python bench/classroom.py --students 30 --train-in thread   # training threads in the server
    python bench/classroom.py --students 10 --reload-share 0.5 --restart-at 120
    python bench/classroom.py --students 30 --stay   # students stay until the whole class has a model
    python bench/classroom.py --students 30 --cold   # the class starts before the warm-up is done

Each student is a person, not a session: it joins with a secret of its own (``/join``, as a page
does from its browser's storage). With ``--reload-share F`` that share of them drops its page
mid-run (its stream cancelled, its client gone) and comes back as a new session, then follows its
run by polling ``/my_runs``. With ``--restart-at S`` the server is killed S seconds in and started
again on the same runs folder; every student reconnects, finds its run (*interrupted*) and
resumes it with one click (``/monitor_resume_checkpoint``). The report adds runs lost (goal 0),
runs stopped by a reload (goal 0) and the time until every student's run was listed again, and
trained again, after the restart. By default a student who has its model tries it once and
leaves, so the class gets faster as it ends; with ``--stay`` every student goes on using the tabs
(its own model among them) every 3-8 s until the last student has a model, as a class would.

It reports refused requests and errors, the time until the last student has a trained model,
per-request p50/p95 of sampling, interpolation and continuation while the class trains, and the
queue places and estimated starts each student was shown against when its run really started,
and where the cores went: the CPU seconds of the server, of its training processes and of the
simulated students' own processes while the class ran, and which machine and commit it ran on
(``machine``). The server runs in its own process; the students are spread over a few client
processes (so that the clients' own GIL does not inflate what they measure). Everything is
bounded in time.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from genai.models import gan  # noqa: E402 - the lesson's settings, as the page has them
DATA = os.environ.get("GENAI_DATA_DIR", str(ROOT.parent / "shared" / "data"))
PLACE = re.compile(r"place (\d+) of (\d+) in the queue, starts in about (\d+):(\d\d)")


def serve(port: int, runs_dir: str, train_in: str, max_runs: int | None) -> subprocess.Popen:
    env = {**os.environ, "GENAI_RUNS_DIR": runs_dir, "GENAI_DATA_DIR": DATA, "GENAI_TRAIN_IN": train_in,
           "GRADIO_ANALYTICS_ENABLED": "False", "GENAI_RUNS_PER_SESSION": "2"}
    if max_runs:
        env["GENAI_MAX_RUNS"] = str(max_runs)
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from genai.ui.app import LAUNCH, build_app; "
            f"build_app().launch(server_name='127.0.0.1', server_port={port}, quiet=True, **LAUNCH)")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=open(Path(runs_dir) / "server.log", "a"))
    import urllib.request

    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start; see server.log")


def warmed_up(runs_dir: str, limit: float = 180) -> float | None:
    """Seconds until the server's log says its warm-up is done (the shipped models loaded, each
    tab's first samples made, as before a lesson); None when it did not say so within ``limit``."""
    t0 = time.time()
    log = Path(runs_dir) / "server.log"
    while time.time() - t0 < limit:
        if "warm-up done" in log.read_text(errors="replace"):
            return round(time.time() - t0, 1)
        time.sleep(0.5)
    return None


def cpu_split(server_pid: int) -> dict:
    """CPU seconds so far of the server process, of its training processes (the forkserver's
    children, ended ones included: it reaps them; with ``--train-in thread`` the server's own) and
    of its decoding processes (genai/decoding.py: the continuations),
    read from /proc (Linux); {} elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")

    def times(pid):  # utime, stime, cutime, cstime; after the command name, which may hold spaces
        return [int(x) / tick for x in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]]

    def children(pid):
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]

    try:
        own = times(server_pid)
        training = decoding = 0.0
        for child in children(server_pid):  # the forkserver, the resource tracker
            t = times(child)
            training += t[2] + t[3]
            for run in children(child):  # a run still training, or a decoding process (genai/decoding.py)
                try:
                    used = sum(times(run)[:2])
                    if Path(f"/proc/{run}/comm").read_text().strip() == "genai-decode":
                        decoding += used
                    else:
                        training += used
                except OSError:  # it ended a moment ago: counted once reaped, not by this reading
                    pass
        return {"server": round(own[0] + own[1], 1), "training": round(training, 1),
                "decoding": round(decoding, 1)}
    except OSError:
        return {}


def digit_pngs(folder: Path) -> list[str]:
    """Two held-out digits as PNG files, black ink on white, as a sketchpad sends them."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("GENAI_DATA_DIR", DATA)
    from PIL import Image

    from genai import data

    ds = data.load_images("mnist")
    out = []
    for i in (0, 1):
        img = Image.fromarray(255 - ds.heldout_x[i, 0].numpy().astype("uint8")).resize((280, 280))
        out.append(str(folder / f"digit{i}.png"))
        img.save(out[-1])
    return out


@functools.cache
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Student:
    def __init__(self, url: str, idx: int, runs_dir: str, pngs: list[str], deadline: float,
                 reloads: bool = False, stay_for: int = 0):
        import secrets

        self.url, self.secret, self.reloads = url, secrets.token_urlsafe(24), reloads
        self.stay_for = stay_for  # stay until this many students are through (0: leave at once)
        self.c = self.connect()
        self.idx, self.runs_dir, self.pngs, self.deadline = idx, runs_dir, pngs, deadline
        self.rng = random.Random(idx)
        self.log: list[dict] = []  # one row a request
        self.shown: list[tuple[float, int, float]] = []  # (time, place, estimated seconds to start)
        self.reloaded = self.stopped_by_reload = self.lost = False
        self.resumed, self.relisted_at, self.reconnects = 0, None, 0

    def connect(self):
        from gradio_client import Client

        # one TLS context for every request (ssl_verify goes to httpx as its verify): gradio_client
        # posts with httpx.post, a new httpx client each time, which builds a context and loads the
        # CA bundle even for plain http (27-32 ms of CPU a post against 1.3-2.8 ms; py-spy: three
        # quarters of these processes' CPU, which a student's browser spends on its own machine)
        return Client(self.url, verbose=False, download_files=False, ssl_verify=tls_context())

    def rejoin(self) -> None:
        """A new page of the same student (a reload, or the server back after a restart)."""
        while time.time() < self.deadline:
            try:
                self.c = self.connect()
                self.c.predict(self.secret, "", api_name="/join")
                self.reconnects += 1
                return
            except Exception:  # noqa: BLE001 - the server is restarting: try again
                time.sleep(2)

    def follow(self, restart_at: float | None) -> tuple[float | None, str | None, str]:
        """Follow this student's newest GAN run by polling /my_runs (as a reopened page's monitor
        does); resume it once if a restart interrupted it. Returns (trained at, menu value, status)."""
        status, seen_any = "", False
        next_use = time.time() + self.rng.uniform(3, 8)
        while time.time() < self.deadline:
            try:
                runs = [r for r in self.c.predict(api_name="/my_runs") if r["family"] == "gan"]
            except Exception:  # noqa: BLE001 - the server went away: come back as a new page
                self.rejoin()
                continue
            if not runs:
                if seen_any or (restart_at and time.time() > restart_at + 120):
                    self.lost = True
                    return None, None, "lost: no run listed"
                time.sleep(1)
                continue
            seen_any = True
            newest = runs[-1]
            if restart_at and time.time() > restart_at and self.relisted_at is None:
                self.relisted_at = time.time()
            status = newest["status"]
            if status == "done":
                return time.time(), newest["checkpoint"], f"done: {newest['name']}"
            if status == "interrupted" and self.resumed < 3:
                try:
                    self.c.predict(newest["name"], api_name="/monitor_resume_checkpoint")
                    self.resumed += 1
                except Exception as e:  # noqa: BLE001
                    status = f"resume refused: {e}"[:200]
            elif status in ("stopped", "cancelled", "failed"):
                self.stopped_by_reload = self.reloaded and status != "failed"
                return None, None, f"{status}: {newest['name']}"
            if time.time() >= next_use:
                [lambda: self.sample("gan_dcgan_mnist", True),
                 lambda: self.interpolate(True), lambda: self.continue_text(True)][self.rng.randrange(3)]()
                next_use = time.time() + self.rng.uniform(3, 8)
            time.sleep(1)
        return None, None, status or "timed out"

    def stay(self, own: str | None) -> None:
        """Go on using the tabs (this student's own model, when it has one) every 3-8 s until every
        student is through: a file a student in the runs folder says so across the client processes."""
        if not self.stay_for:
            return
        folder = Path(self.runs_dir) / "through"
        folder.mkdir(exist_ok=True)
        (folder / str(self.idx)).touch()
        while time.time() < self.deadline and len(list(folder.iterdir())) < self.stay_for:
            time.sleep(self.rng.uniform(3, 8))
            [lambda: self.sample(own or "gan_dcgan_mnist", True),
             lambda: self.interpolate(True), lambda: self.continue_text(True)][self.rng.randrange(3)]()

    def timed(self, kind: str, fn, training: bool):
        t0 = time.time()
        try:
            fn()
            err = ""
        except Exception as e:  # noqa: BLE001 - every failure is counted, none stops the bench
            err = f"{type(e).__name__}: {e}"[:200]
        self.log.append({"kind": kind, "s": time.time() - t0, "err": err, "training": training, "at": t0})

    def sample(self, path: str, training: bool):
        self.timed("sample", lambda: self.c.predict(path, 64, self.rng.randrange(10**6), "any",
                                                   api_name="/sample"), training)

    def interpolate(self, training: bool):
        from gradio_client import handle_file

        pads = [{"background": handle_file(p), "layers": [], "composite": handle_file(p)} for p in self.pngs]
        vae = "vae_conv-16d_mnist"  # menus name checkpoints
        self.timed("interpolate", lambda: self.c.predict(vae, *pads, 10, "linear", api_name="/vae_interpolate"),
                   training)

    def continue_text(self, training: bool):
        gpt = "gpt_char_shakespeare"
        self.timed("continue", lambda: self.c.predict(gpt, "", "ROMEO:", 100, 1.0, 0, 1.0, self.rng.randrange(10**6),
                                                      api_name="/continue"), training)

    def run(self, start_at: float, restart_at: float | None = None) -> dict:
        time.sleep(max(0.0, start_at - time.time()) + self.rng.random() * 3)  # "within the same few seconds"
        self.c.predict(self.secret, f"student {self.idx}", api_name="/join")
        t_press = time.time()
        lesson, p = gan.LESSON, gan.PRESETS["lesson"]  # what the page's Start sends, as it stands
        job = self.c.submit("mnist", "lesson", "bce", p["lr_g"], p["lr_d"], lesson["batch_size"], p["z_dim"],
                            lesson["steps"], self.idx, None, api_name="/train")
        name, started, status = None, None, ""
        next_use = time.time() + self.rng.uniform(2, 6)
        # the page goes away 5-30 s after Start (its run waiting or training), and comes back
        reload_at = t_press + self.rng.uniform(5, 30) if self.reloads else None
        while not job.done() and time.time() < self.deadline:
            if reload_at and time.time() >= reload_at:  # the page goes away mid-run, and comes back
                job.cancel()
                self.reloaded = True
                self.rejoin()
                break
            outs = job.outputs()
            if outs:
                status = status_of(outs[-1]) or status
                m = PLACE.search(status)
                if m:
                    self.shown.append((time.time(), int(m[1]), int(m[3]) * 60 + int(m[4])))
                elif started is None and ("training" in status or "done" in status):
                    started = time.time()
                name = name or (re.search(r"\*\*(.+?)\*\*", status) or [None, None])[1]
            if time.time() >= next_use:  # use the tabs while the run waits or trains
                [lambda: self.sample("gan_dcgan_mnist", True),
                 lambda: self.interpolate(True), lambda: self.continue_text(True)][self.rng.randrange(3)]()
                next_use = time.time() + self.rng.uniform(3, 8)
            time.sleep(0.2)
        own, trained = None, None
        if not self.reloaded:
            try:
                final = job.result(timeout=5)
                status = status_of(final) or status
                menu = final[-1].get("choices", []) if isinstance(final[-1], dict) else []
                own = next((value for label, value in menu if label == f"your run: {name}"), None)
                trained = time.time() if "done" in status else None
            except Exception as e:  # noqa: BLE001 - a restart cut the stream: follow the run as a new page
                status = f"{status} / {type(e).__name__}: {e}"
        if self.reloaded or (trained is None and time.time() < self.deadline):
            if not self.reloaded:
                self.rejoin()
            trained, own, status = self.follow(restart_at)
        refused = "already have" in status or "Queue is full" in status
        if restart_at and trained and trained < restart_at:  # done before the restart: still there after it?
            time.sleep(max(0.0, restart_at - time.time()) + 5)
            self.rejoin()
            mine = []
            while time.time() < self.deadline and not mine:
                try:
                    mine = [r for r in self.c.predict(api_name="/my_runs") if r["family"] == "gan" and r["checkpoint"]]
                    if not mine:
                        self.lost = True
                        break
                except Exception:  # noqa: BLE001 - not back yet
                    self.rejoin()
            if mine:
                self.relisted_at, own = time.time(), mine[-1]["checkpoint"]
        if trained and own:  # the menu's value for this student's run (a key, not a path)
            self.sample(own, True)
        elif trained:
            self.log.append({"kind": "sample", "s": 0.0, "err": "the run is not in its menu", "training": True,
                             "at": time.time()})
        self.interpolate(True)
        self.continue_text(True)
        self.stay(own if trained else None)
        return {"idx": self.idx, "pressed": t_press, "started": started, "trained": trained, "name": name,
                "status": status[:300], "refused": refused, "shown": self.shown, "log": self.log,
                "reloaded": self.reloaded, "stopped_by_reload": self.stopped_by_reload, "lost": self.lost,
                "resumed": self.resumed, "relisted_at": self.relisted_at}


def students_in_process(args) -> list[dict]:
    url, ids, runs_dir, pngs, start_at, deadline, reloading, restart_at, stay_for = args
    from concurrent.futures import ThreadPoolExecutor

    people = [Student(url, i, runs_dir, pngs, deadline, reloads=i in reloading, stay_for=stay_for)
              for i in ids]
    import resource

    with ThreadPoolExecutor(len(people)) as pool:
        out = list(pool.map(lambda s: s.run(start_at, restart_at), people))
    use = resource.getrusage(resource.RUSAGE_SELF)
    out[0]["cpu"] = use.ru_utime + use.ru_stime  # this client process's CPU time, counted once
    return out


def status_of(outputs) -> str:
    """The status line among a /train update's outputs (the Markdown that names the run)."""
    for x in outputs:
        x = x.get("value") if isinstance(x, dict) else x
        if isinstance(x, str) and x.startswith("**"):
            return x
    return ""


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def report(results: list[dict], t_start: float, restarted: tuple | None = None) -> dict:
    """``restarted``: (when the server was killed, when the new one answered)."""
    rows = [r for s in results for r in s["log"]]
    # "while the class trains": from the first press until the last run ended
    end_training = max((s["trained"] or 0) for s in results) or time.time()
    lat = {}
    for kind in ("sample", "interpolate", "continue"):
        xs = [r["s"] for r in rows if r["kind"] == kind and not r["err"] and r["at"] <= end_training]
        lat[kind] = {"n": len(xs), "p50": statistics.median(xs) if xs else None, "p95": pct(xs, 0.95)}
    down = (restarted[0] - 5, restarted[1]) if restarted else (0, 0)  # requests cut by the restart itself
    outage = [r["err"] for r in rows if r["err"] and down[0] <= r["at"] <= down[1]]
    errors = [f'{r["kind"]} at {r["at"] - t_start:.0f} s: {r["err"]}' for r in rows
              if r["err"] and not down[0] <= r["at"] <= down[1]]
    errors += [s["status"] for s in results if not s["trained"] and not s["refused"]]
    eta, errors_all = [], []
    for s in results:
        if s["shown"] and s["started"]:
            t, place, est = s["shown"][0]  # what the page said first
            row = {"student": s["idx"], "place": place, "first_estimate": est, "real_wait": round(s["started"] - t)}
            for frac in (0.25, 0.5, 0.75):  # what the page said a quarter, half, three quarters into the wait
                t_at = t + frac * (s["started"] - t)
                _, _, e = min(s["shown"], key=lambda x: abs(x[0] - t_at))
                row[f"at_{int(frac * 100)}%"] = f"{e} s shown, {round(s['started'] - t_at)} s real"
            eta.append(row)
            errors_all += [abs((s["started"] - t_) - e) for t_, _, e in s["shown"]]
    eta.sort(key=lambda e: e["place"])
    first = [abs(e["real_wait"] - e["first_estimate"]) for e in eta]
    first_rel = [abs(e["real_wait"] - e["first_estimate"]) / max(e["real_wait"], 1) for e in eta]
    back = {}
    if restarted:
        relisted = [s["relisted_at"] for s in results if s["relisted_at"]]
        after = [s["trained"] for s in results if s["trained"] and s["trained"] > restarted[0]]
        killed, answered = restarted
        back = {"restart_at_s": round(killed - t_start), "server_back_after_s": round(answered - killed),
                "requests_cut_by_the_restart": len(outage),
                "every_run_listed_again_after_s": round(max(relisted) - killed) if len(relisted) == len(results)
                else f"{len(relisted)} of {len(results)} listed again",
                "trained_after_restart": len(after),
                "last_trained_after_restart_s": round(max(after) - killed) if after else None}
    return {"students": len(results), "refused": sum(s["refused"] for s in results), "errors": len(errors),
            "reloaded": sum(s.get("reloaded", False) for s in results),
            "runs_stopped_by_a_reload": sum(s.get("stopped_by_reload", False) for s in results),
            "runs_lost": sum(s.get("lost", False) for s in results),
            "resumed": sum(s.get("resumed", 0) for s in results), **back,
            "error_examples": errors[:5], "trained": sum(bool(s["trained"]) for s in results),
            "last_trained_after_s": max((s["trained"] - t_start for s in results if s["trained"]), default=None),
            "latency_while_training": lat, "client_cpu_s": round(sum(s.get("cpu", 0) for s in results), 1),
            "queue_estimate_error_s": {"first_shown_median": statistics.median(first) if first else None,
                                       "first_shown_median_share": round(statistics.median(first_rel), 3)
                                       if first_rel else None,
                                       "first_shown_within_25%": sum(r <= 0.25 for r in first_rel),
                                       "every_shown_median": statistics.median(errors_all) if errors_all else None},
            "queue": eta}


def minutes(timeline: list, rows: list[dict], t_start: float) -> list[dict]:
    """The class minute by minute: the calls the students began, and the CPU seconds of the server
    and of its training processes (``timeline``: (seconds in, cpu_split) about once a minute)."""
    out = []
    for (t0, a), (t1, b) in zip(timeline, timeline[1:]):
        calls = sum(t0 <= r["at"] - t_start < t1 for r in rows)
        out.append({"from_s": round(t0), "to_s": round(t1), "calls": calls,
                    **{f"{k}_cpu_s": round(b[k] - a[k], 1) for k in b if k in a}})
    return out


def machine() -> dict:
    """What this machine is, for comparing classes across machines: a class's server is mostly
    Python (Gradio, the decoding loop), and one machine here ran it 2-3 times slower than another
    whose lesson runs were only 1.1-1.5 times slower (BENCHMARKS.md, issue 31)."""
    best = float("inf")
    for _ in range(3):  # a pure-Python loop: how fast one core runs the server's kind of work
        t, n = time.perf_counter(), 0
        for i in range(3_000_000):
            n += i
        best = min(best, time.perf_counter() - t)
    flags = model = ""
    with contextlib.suppress(OSError):
        info = Path("/proc/cpuinfo").read_text()
        model = (re.search(r"model name\s*:\s*(.+)", info) or [None, ""])[1]
        flags = (re.search(r"flags\s*:\s*(.+)", info) or [None, ""])[1]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    return {"cpu": model, "avx512": "avx512f" in flags.split(), "python_3M_adds_s": round(best, 3),
            "commit": commit}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--students", type=int, default=10)
    p.add_argument("--clients", type=int, default=5, help="client processes the students are spread over")
    p.add_argument("--port", type=int, default=7871)
    p.add_argument("--train-in", choices=["process", "thread"], default="process")
    p.add_argument("--max-runs", type=int, default=None, help="GENAI_MAX_RUNS for the server")
    p.add_argument("--limit", type=float, default=1500, help="seconds before every student gives up")
    p.add_argument("--json", default="", help="also write the report here")
    p.add_argument("--reload-share", type=float, default=0.0, help="share of the students who reload mid-run")
    p.add_argument("--restart-at", type=float, default=None, help="restart the server this many seconds in")
    p.add_argument("--stay", action="store_true", help="students use the tabs until the last has a model")
    p.add_argument("--cold", action="store_true", help="start the class before the server's warm-up is done")
    a = p.parse_args()
    load_before = os.getloadavg()  # what else the machine was doing (BENCHMARKS.md records it)
    this_machine = machine()
    runs_dir = tempfile.mkdtemp(prefix="genai_classroom_")
    server = serve(a.port, runs_dir, a.train_in, a.max_runs)
    # a teacher opens the app before the lesson: the class starts on a warmed-up server (--cold: at
    # once, as this bench did before 2026-12-06, while the warm-up still imports and loads models)
    warm_wait = None if a.cold else warmed_up(runs_dir)
    cpu_at_start = cpu_split(server.pid)  # its start-up and warm-up, left out of the class's figures
    try:
        pngs = digit_pngs(Path(runs_dir))
        url = f"http://127.0.0.1:{a.port}/"
        start_at = time.time() + 5 + a.students * 0.3  # every client connected first
        deadline = start_at + a.limit
        n_proc = max(1, min(a.clients, a.students))
        groups = [list(range(a.students))[i::n_proc] for i in range(n_proc)]
        reloading = set(random.Random(0).sample(range(a.students), round(a.reload_share * a.students)))
        restart_at = start_at + a.restart_at if a.restart_at else None
        restarted = None
        with mp.get_context("spawn").Pool(n_proc) as pool:
            res = pool.map_async(students_in_process, [(url, g, runs_dir, pngs, start_at, deadline, reloading,
                                                         restart_at, a.students if a.stay else 0)
                                                        for g in groups])
            if restart_at:
                time.sleep(max(0.0, restart_at - time.time()))
                server.terminate()  # the Space restarts: the server goes, its training processes save and end
                server.wait(30)
                killed = time.time()
                server = serve(a.port, runs_dir, a.train_in, a.max_runs)
                restarted = (killed, time.time())
            # where the cores went, minute by minute, from the class's start (after a restart: the
            # new server's, from its start)
            time.sleep(max(0.0, start_at - time.time()))
            timeline = [(time.time() - start_at, cpu_split(server.pid))]
            while not res.ready():
                res.wait(max(1.0, start_at + timeline[-1][0] + 60 - time.time()))
                timeline.append((time.time() - start_at, cpu_split(server.pid)))
            parts = res.get()
        cpu = cpu_split(server.pid)
        if restarted is None:
            cpu = {k: round(v - cpu_at_start.get(k, 0.0), 1) for k, v in cpu.items()}
        out = report([s for part in parts for s in part], start_at, restarted)
    finally:
        server.terminate()
        server.wait(10)
    # where the cores went in the class: the server (after a restart: the new one's, its start-up
    # included), its training, the clients
    out.update(cpu_s={**cpu, "clients": out["client_cpu_s"]}, cores=os.cpu_count(), train_in=a.train_in,
               max_runs=a.max_runs or "default", reload_share=a.reload_share, restart_at=a.restart_at,
               limit_s=a.limit, stay=a.stay,
               waited_for_warm_up_s="no (--cold)" if a.cold else warm_wait,
               load_before=[round(x, 2) for x in load_before], load_after=[round(x, 2) for x in os.getloadavg()],
               runs_per_student=2, machine=this_machine)
    out["minutes"] = minutes(timeline, [r for part in parts for s in part for r in s["log"]], start_at)
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
