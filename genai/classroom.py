"""Who owns what: a run belongs to a student, not to a browser tab.

- A **student** is a random secret kept in the browser (``gr.BrowserState``) or, on a Space with
  sign-in, the Hugging Face user. The server knows a student by ``owner_id(secret)``, a hash: run
  folders, logs and a synced dataset repo name the hash, never the secret that proves who one is.
- A **page** is one browser tab (Gradio's ``session_hash``, new at every load): ``attach`` says
  which student it is; ``owner_of`` answers that for every request.
- A second **device** joins the same student with a short code the first one shows (``device_code``,
  ``redeem``): the code gives the second browser the same secret, for ten minutes.
- The **grace period**: a student's runs go on when their last page closes, and stop (saved) only
  when no page of theirs has come back for ``GENAI_ABANDON_AFTER`` seconds (default 600), unless
  they ticked *keep* (``stop_abandoned``, called by a thread of the app).
- The **teacher** is any page that gave ``GENAI_TEACHER_KEY`` (compared in constant time).

Names, keep flags and hidden runs are kept in ``<runs>/students.json`` (atomically), so a restarted
server still knows its class. No Gradio here: the UI and the runner both use this module.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import unicodedata
from pathlib import Path

from genai.locales import said

DEFAULT_ABANDON_S = 600.0
CODE_TTL_S = 600.0  # how long a device code works
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off one screen, typed on another
MAX_NAME = 40
_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

# which student each page (session_hash) is: a fact of this server process, shared by every
# Roster in it (a session hash is random per page, so two apps in one process never collide)
_SESSIONS: dict[str, str] = {}


def abandon_after() -> float:
    raw = os.environ.get("GENAI_ABANDON_AFTER", "").strip()
    try:
        return float(raw) if raw else DEFAULT_ABANDON_S
    except ValueError:
        raise ValueError(f"GENAI_ABANDON_AFTER must be a number of seconds, not {raw!r}") from None


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def valid_secret(secret) -> bool:
    return isinstance(secret, str) and bool(_SECRET.match(secret))


def owner_id(secret: str) -> str:
    """The name the server keeps a student by: a hash of their browser's secret."""
    return "s-" + hashlib.sha256(secret.encode()).hexdigest()[:20]


def hf_owner(username: str) -> str:
    return "hf-" + re.sub(r"[^A-Za-z0-9_.-]", "_", username)[:60]


def owner_of(session_hash: str | None) -> str:
    """The student a page belongs to; a page that never said (an API client) is its own owner."""
    if not session_hash:
        return "local"
    return _SESSIONS.get(session_hash, session_hash)


def clean_name(name) -> str:
    """A name as the class will see it: printable, one line, at most MAX_NAME characters."""
    if not isinstance(name, str):
        raise said(ValueError, "err.name_not_text")
    name = " ".join("".join(c for c in unicodedata.normalize("NFC", name)
                            if unicodedata.category(c)[0] != "C").split())
    if not name:
        raise said(ValueError, "err.name_empty")
    if len(name) > MAX_NAME:
        raise said(ValueError, "err.name_too_long", most=MAX_NAME, n=len(name))
    return name


class Roster:
    def __init__(self, folder: str | os.PathLike, abandon_s: float | None = None, clock=time.time):
        self.path = Path(folder) / "students.json"
        self.abandon_s = abandon_after() if abandon_s is None else abandon_s
        self.clock = clock
        self._lock = threading.RLock()
        saved = self._load()
        self.names: dict[str, str] = saved.get("names", {})
        self.keep: set[str] = set(saved.get("keep", []))
        self.hidden: set[str] = set(saved.get("hidden", []))  # run names the teacher took off the board
        self.pages: dict[str, set[str]] = {}  # owner -> its open pages
        self.last_seen: dict[str, float] = {}
        self.browsers: set[str] = set()  # owners who came from a page (they are asked for a name)
        self.teachers: set[str] = set()  # pages that gave the teacher's key
        self._codes: dict[str, tuple[str, float]] = {}  # code -> (secret, expires)

    # -- persistence (names and flags only; who is online is not worth keeping)
    def _load(self) -> dict:
        try:
            got = json.loads(self.path.read_text("utf-8"))
            return got if isinstance(got, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"students.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"names": self.names, "keep": sorted(self.keep),
                                   "hidden": sorted(self.hidden)}, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.path)

    # -- pages
    def attach(self, session: str, secret: str | None = None, hf_user: str | None = None) -> str:
        """Page ``session`` is this student: the signed-in user if there is one, else the browser's
        secret. Returns the owner id (the page's own session hash when it gave neither)."""
        if hf_user:
            owner = hf_owner(hf_user)
        elif valid_secret(secret):
            owner = owner_id(secret)
        else:
            return owner_of(session)
        with self._lock:
            old = _SESSIONS.get(session)
            if old and old != owner:
                self.pages.get(old, set()).discard(session)
            _SESSIONS[session] = owner
            self.pages.setdefault(owner, set()).add(session)
            self.browsers.add(owner)
            self.last_seen[owner] = self.clock()
        return owner

    def seen(self, session: str | None) -> str:
        """A request from ``session``: its student is here (a page that came back counts again)."""
        owner = owner_of(session)
        if session:
            with self._lock:
                self.pages.setdefault(owner, set()).add(session)
                self.last_seen[owner] = self.clock()
        return owner

    def closed(self, session: str) -> None:
        """A page closed (or its connection went away): its student's grace period may begin."""
        owner = owner_of(session)
        with self._lock:
            self.pages.get(owner, set()).discard(session)
            self.last_seen[owner] = self.clock()

    def online(self, owner: str) -> bool:
        return bool(self.pages.get(owner))

    def abandoned(self, owners) -> list[str]:
        """Of ``owners``, those with no open page whose last page closed over the grace period ago
        (never those who asked to keep their runs)."""
        now = self.clock()
        return [o for o in owners if o not in self.keep and not self.pages.get(o)
                and now - self.last_seen.get(o, now) >= self.abandon_s]

    # -- names and flags
    def name(self, owner: str) -> str:
        return self.names.get(owner, "")

    def set_name(self, owner: str, name) -> str:
        name = clean_name(name)
        with self._lock:
            self.names[owner] = name
            self._save()
        return name

    def needs_name(self, owner: str) -> bool:
        """A student who came from a page types a name before their first run (the teacher's board
        shows it); an API client is not asked."""
        return owner in self.browsers and not self.names.get(owner)

    def set_keep(self, owner: str, flag: bool) -> None:
        with self._lock:
            (self.keep.add if flag else self.keep.discard)(owner)
            self._save()

    def set_hidden(self, run: str, flag: bool) -> None:
        with self._lock:
            (self.hidden.add if flag else self.hidden.discard)(run)
            self._save()

    # -- a second device
    def device_code(self, secret: str) -> str:
        """A short code that lets another browser become this student (CODE_TTL_S seconds)."""
        if not valid_secret(secret):
            raise said(ValueError, "err.no_student_yet")
        with self._lock:
            now = self.clock()
            self._codes = {c: v for c, v in self._codes.items() if v[1] > now}
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
            self._codes[code] = (secret, now + CODE_TTL_S)
        return f"{code[:4]}-{code[4:]}"

    def redeem(self, code) -> str:
        """The secret behind a device code; ValueError for a code that is wrong or expired."""
        key = re.sub(r"[^A-Z0-9]", "", str(code or "").upper())[:16]
        with self._lock:
            got = self._codes.get(key)
        if got is None or got[1] <= self.clock():
            raise said(ValueError, "err.bad_device_code")
        return got[0]

    # -- the teacher
    def teacher_login(self, session: str, key) -> bool:
        want = os.environ.get("GENAI_TEACHER_KEY", "")
        if not want or not isinstance(key, str) or not key:
            return False
        ok = hmac.compare_digest(key.encode(), want.encode())
        if ok:
            self.teachers.add(session)
        return ok

    def is_teacher(self, session: str | None) -> bool:
        return bool(session) and session in self.teachers


def stop_abandoned(runner) -> list[str]:
    """Stop (and save) the runs of students gone longer than the grace period; their names."""
    owners = {j.owner for j in runner.jobs() if j.active}
    stopped = []
    for owner in runner.roster.abandoned(owners):
        for job in runner.jobs(owner):
            if job.active:
                job.stop()
                stopped.append(job.name)
    return stopped


def watch_abandoned(runner, every: float = 15.0) -> threading.Thread:
    """A thread that applies the grace period every ``every`` seconds."""
    def loop():
        while True:
            time.sleep(every)
            try:
                stop_abandoned(runner)
            except Exception:  # noqa: BLE001 - a bad moment must not end the watch
                pass
    t = threading.Thread(target=loop, name="grace-period", daemon=True)
    t.start()
    return t


def browser_secret(runs_dir: Path) -> str:
    """The key the browsers' stored secrets are encrypted with: ``GENAI_BROWSER_SECRET``, else one
    made once and kept beside the runs (Gradio's own default is new at every start, and a
    restarted server could then read no student's secret)."""
    env = os.environ.get("GENAI_BROWSER_SECRET", "").strip()
    if env:
        return env
    path = Path(runs_dir) / ".browser-secret"
    try:
        return path.read_text().strip() or _new_key(path)
    except FileNotFoundError:
        return _new_key(path)


def _new_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


# -- where the runs live on Hugging Face Spaces
def on_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def runs_are_kept(runs_dir: Path) -> bool:
    """Does a restart keep the runs? Off a Space, yes (a local disk); on one, only under its
    persistent storage (/data) or when a dataset repo receives them."""
    if not on_space():
        return True
    return str(Path(runs_dir).resolve()).startswith("/data") or bool(sync_target())


def sync_target() -> str | None:
    """``GENAI_RUNS_DATASET`` when it and ``HF_TOKEN`` are set and the Hub is not turned off."""
    repo = os.environ.get("GENAI_RUNS_DATASET", "").strip()
    if not repo or not os.environ.get("HF_TOKEN") or os.environ.get("HF_HUB_OFFLINE") in ("1", "true"):
        return None
    return repo


def sync_runs(runs_dir: Path, every_minutes: float = 5.0):
    """Push the runs folder to the dataset repo every few minutes (huggingface_hub's
    CommitScheduler); None where no repo is set. Needs the network and a write token, so it is
    never on in tests or offline."""
    repo = sync_target()
    if repo is None:
        return None
    from huggingface_hub import CommitScheduler, snapshot_download

    try:  # a rebuilt Space starts empty: bring the class's runs back first
        snapshot_download(repo, repo_type="dataset", local_dir=runs_dir, allow_patterns=["runs/**"])
        pulled = Path(runs_dir) / "runs"
        for item in pulled.iterdir() if pulled.is_dir() else []:
            if not (Path(runs_dir) / item.name).exists():
                item.rename(Path(runs_dir) / item.name)
    except Exception as e:  # noqa: BLE001 - a new or empty repo: nothing to bring back
        print(f"runs not restored from {repo}: {type(e).__name__}: {e}")
    return CommitScheduler(repo_id=repo, repo_type="dataset", folder_path=runs_dir, every=every_minutes,
                           path_in_repo="runs", private=True, ignore_patterns=["*.tmp", "**/*.tmp"])
