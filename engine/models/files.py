"""Finding process models on disk: a folder of .bpmn/.dmn files is one model (SpiffArena's
process-model folder: with it go its JSON files, its forms and process_model.json, see
engine.models.packages); a loose file is a model by itself. `processes/` holds one folder
per model; a SpiffArena tree nests them in process groups (`process_group.json`)."""
import json
from dataclasses import dataclass
from pathlib import Path

MODEL_SUFFIXES = (".bpmn", ".dmn")


@dataclass
class ModelFiles:
    label: str
    files: dict  # name -> bytes
    #: The titles of the process groups it sits in, outermost first (SpiffArena's trees).
    groups: tuple = ()

    @property
    def category(self) -> str | None:
        return " / ".join(self.groups) or None


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


def _from_dir(folder: Path, groups: tuple = ()) -> list[ModelFiles]:
    own = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in MODEL_SUFFIXES)
    found = []
    if own:
        own += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".json")
        found.append(ModelFiles(str(folder), {p.name: p.read_bytes() for p in own}, groups))
    group = _group_title(folder)
    inner = groups + (group,) if group else groups
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found.extend(_from_dir(sub, inner))
    return found


def _group_title(folder: Path) -> str | None:
    """A SpiffArena process group's display name (its folder's name without one)."""
    meta = folder / "process_group.json"
    if not meta.is_file():
        return None
    try:
        title = json.loads(meta.read_text("utf-8")).get("display_name")
    except (ValueError, AttributeError, OSError):
        title = None
    return title if isinstance(title, str) and title.strip() else folder.name
