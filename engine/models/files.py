"""Finding process models on disk: a folder of .bpmn/.dmn files is one model; a loose file
is a model by itself. `processes/` holds one folder per model."""
from dataclasses import dataclass
from pathlib import Path

MODEL_SUFFIXES = (".bpmn", ".dmn")


@dataclass
class ModelFiles:
    label: str
    files: dict  # name -> bytes


def collect(paths) -> list[ModelFiles]:
    models: list[ModelFiles] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            models.extend(_from_dir(path))
        elif path.is_file():
            models.append(ModelFiles(str(path), {path.name: path.read_bytes()}))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return models


def _from_dir(folder: Path) -> list[ModelFiles]:
    own = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in MODEL_SUFFIXES)
    found = []
    if own:
        found.append(ModelFiles(str(folder), {p.name: p.read_bytes() for p in own}))
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found.extend(_from_dir(sub))
    return found
