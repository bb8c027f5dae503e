"""Imported by the forkserver that the training processes fork from (genai/jobs.py), and by no
one else: what every lesson run would otherwise redo in its own process, done once before the
forks, so that each run inherits it. Measured on this project's 2-core machines (issue 31,
BENCHMARKS.md): ``torch._dynamo``, which the first optimizer a process builds imports, 1.6 CPU s
a run; the held-out digits' classifier features for the FID, 0.7-0.9 s a run."""
import sys

import torch
import torch._dynamo  # noqa: F401 - imported for its side effect: it is then in every child

from genai import data as datamod, metrics


def warm() -> None:
    """The held-out features of the image tabs' default data set (the offline digits when it is
    not on this disk: no download here). Never raises: the forkserver must start whatever
    happens (it ignores only ImportError)."""
    try:
        # one thread: no OpenMP pool in a process that forks (each child sets its own count)
        torch.set_num_threads(1)
        name = datamod.default_images()
        name = name if datamod.on_disk(name) else "digits"
        if metrics.load_classifier() is not None:
            metrics.SampleQuality.for_data(datamod.load_images(name))
    except Exception as e:  # noqa: BLE001 - only a head start: a run computes what it needs itself
        print(f"the training processes' warm-up skipped: {type(e).__name__}: {e}", file=sys.stderr)


warm()
