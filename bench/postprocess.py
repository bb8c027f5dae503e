"""What one update of a training stream costs Gradio's postprocess in the server's CPU, with
Gradio's own handling of ``gr.skip()`` and with the app's (``genai/ui/app.py``, ``cheap_skips``).

    python bench/postprocess.py

The GAN tab's training stream has ten outputs; a typical update sends the run's id, its status
line and the two loss plots and skips the other six (held-out plots unchanged, no new sample).
Gradio 6 rebuilds each skipped component and its config; the app's wrapper leaves them out.
In-process, no server: CPU time of 50 updates on one session's state.
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    os.environ.setdefault("GENAI_RUNS_DIR", tempfile.mkdtemp(prefix="genai_postprocess_"))
    import gradio as gr
    import pandas as pd
    from gradio.blocks import Blocks
    from gradio.state_holder import SessionState

    from genai.ui.app import build_app

    demo = build_app()
    fn = next(f for f in demo.fns.values() if f.api_name == "train")
    plot = pd.DataFrame({"step": [1, 2], "value": [0.5, 0.25], "series": ["a", "a"]})
    preds = ["job-1", "training, step 100", plot, plot] + [gr.skip()] * (len(fn.outputs) - 4)
    for name, f in (("Gradio's", Blocks.postprocess_data.original), ("cheap_skips", Blocks.postprocess_data)):
        state = SessionState(demo)
        asyncio.run(f(demo, fn, list(preds), state))  # the session's first update builds its config
        t = time.process_time()
        for _ in range(50):
            asyncio.run(f(demo, fn, list(preds), state))
        print(f"{name}: {(time.process_time() - t) / 50 * 1e3:.1f} ms of CPU an update "
              f"({len(fn.outputs)} outputs, {len(fn.outputs) - 4} skipped)", flush=True)
    os._exit(0)  # the app's warm-up threads and decoding processes go with it


if __name__ == "__main__":
    main()
