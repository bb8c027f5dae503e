"""Generative AI Lab: `python app.py` serves the page on port 7860
(GRADIO_SERVER_NAME / GRADIO_SERVER_PORT change where)."""
from genai.ui.app import LAUNCH, build_app

# Training processes start from a forkserver, which imports this file again as "__mp_main__"
# (multiprocessing's "safe importing of the main module"): they must not build a second app.
if __name__ != "__mp_main__":
    demo = build_app()

if __name__ == "__main__":
    demo.launch(**LAUNCH)
