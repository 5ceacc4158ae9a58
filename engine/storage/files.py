"""The bytes of uploaded files, addressed by their SHA-256 (`uploads/ab/cdef…`): the same
file uploaded twice is stored once, and a backup restores each file by its own name."""
import hashlib
import os
import tempfile
from pathlib import Path

from engine.errors import NotFound

HEX = "0123456789abcdef"


class FileStore:
    """Content-addressed files under one directory; writes are atomic (temp file + rename)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @classmethod
    def of(cls, settings) -> "FileStore":
        """The instance's upload store (`instance/uploads`)."""
        return cls(Path(settings.instance_path) / "uploads")

    @staticmethod
    def is_name(relative: Path) -> bool:
        """Whether a path relative to the store is one of its files (`ab/cdef…`)."""
        parts = relative.parts
        return (len(parts) == 2 and len(parts[0]) == 2 and len(parts[1]) == 62
                and all(c in HEX for c in parts[0] + parts[1]))

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in HEX for c in sha256):
            raise NotFound("No such file.")
        return self.directory / sha256[:2] / sha256[2:]

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(tmp, target)
        return digest
