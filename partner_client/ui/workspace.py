"""What the page has been given, kept in one private temporary directory removed at exit."""

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Workspace:
    """Everything the page has been given, in one private temporary directory removed at exit."""

    directory: Path
    files: dict[str, Path] = field(default_factory=dict)
    bundles: dict[str, Path] = field(default_factory=dict)
    previews: dict[str, Any] = field(default_factory=dict)
    """bundle id → its `PreviewView` (built once, paged on request)."""
    profiles: dict[str, Any] = field(default_factory=dict)
    """bundle id → the profile it was prepared with (saved for next quarter on Send, if asked)."""
    has_postcodes: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
