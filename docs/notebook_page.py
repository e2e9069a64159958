"""An mkdocs hook: examples/notebook.ipynb is a page of the site, as it is in the repository.

The notebook stays in examples/, beside the shop it reads (``Path("shop")``); the
mkdocs-jupyter plugin executes it there at build time, so the page shows the outputs of the
library as it is, and the repository keeps the notebook without outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

EXAMPLES = Path(__file__).parent.parent / "examples"


# Before mkdocs-jupyter's own on_files, which makes a page of each notebook it is given.
@event_priority(100)
def on_files(files: Files, config: Any) -> Files:
    files.append(
        File(
            "notebook.ipynb",
            src_dir=str(EXAMPLES),
            dest_dir=config["site_dir"],
            use_directory_urls=config["use_directory_urls"],
        )
    )
    return files
