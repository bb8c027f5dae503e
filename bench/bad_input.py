"""The bad-input matrix for BENCHMARKS.md: every row of tests/test_bad_input.py (and the upload
rows) sent to a served app, with what the user sees, as a Markdown table.

    python bench/bad_input.py > /tmp/matrix.md
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GENAI_RUNS_DIR", tempfile.mkdtemp(prefix="genai_bad_"))
os.environ.setdefault("GENAI_TRAIN_IN", "thread")


def main():
    from gradio_client import Client, handle_file

    from genai.jobs import JobRunner
    from genai.ui.app import LAUNCH, build_app
    from tests import bad_inputs
    from tests.test_bad_input import ROWS, TEXT_TRAIN, TEXT_UPLOAD_ROWS, TRAIN, UPLOAD_ROWS, at, outcome

    demo = build_app(JobRunner(max_active=2))
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=None,
                            **LAUNCH)
    lab, client = {"url": url}, Client(url, verbose=False)
    files = bad_inputs.make(Path(tempfile.mkdtemp(prefix="genai_bad_files_")))

    def cell(kind, message):
        text = " ".join(str(message).split())
        text = text if kind == "error" else "accepted: " + ("trains to the end" if "done, step" in text else
                                                           "answers normally")
        return (text[:150] + "...") if len(text) > 150 else text

    print("| input | what the user sees |\n|---|---|")
    for name, api, args, _ in ROWS:
        print(f"| `{name}` | {cell(*outcome(lab, client, api, args)).replace('|', '/')} |")
    for names, _ in UPLOAD_ROWS:
        up = [handle_file(str(files[n])) for n in names]
        got = outcome(lab, client, "/train", at(at(at(TRAIN, 0, "your images (upload)"), 9, up), 7, 20))
        print(f"| `/train` upload {' + '.join(names)} | {cell(*got).replace('|', '/')} |")
    for name, _ in TEXT_UPLOAD_ROWS:
        got = outcome(lab, client, "/text_train", at(at(TEXT_TRAIN, 6, handle_file(str(files[name]))), 7, ""))
        print(f"| `/text_train` upload {name} | {cell(*got).replace('|', '/')} |")
    demo.runner.shutdown()
    demo.close()


if __name__ == "__main__":
    main()
