"""Generative AI Lab: `python app.py` serves the page on port 7860
(GRADIO_SERVER_NAME / GRADIO_SERVER_PORT change where)."""
from genai.ui.app import build_app

demo = build_app()

if __name__ == "__main__":
    demo.launch(max_file_size="50mb", footer_links=["api", "settings"])
