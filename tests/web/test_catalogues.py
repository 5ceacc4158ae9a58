"""Every message a person can see is translated (issue 17): each catalogue (the shared one
and each area's) has no empty or fuzzy entry, and every message in web/'s Python and
templates is in some catalogue (the app merges them; an area's own messages may live in
its catalogue, shared words in the shared one)."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
CATALOGUES = sorted(WEB.glob("**/translations/*/LC_MESSAGES/messages.po"))
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}


def _read(path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(WEB)))
def test_catalogue_is_complete(path):
    untranslated, fuzzy = [], []
    for message in _read(path):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"untranslated in {path}: {untranslated}"
    assert not fuzzy, f"fuzzy in {path}: {fuzzy}"


def test_every_message_in_the_code_is_in_a_catalogue():
    known = set()
    for path in CATALOGUES:
        known |= {m.id if isinstance(m.id, str) else m.id[0] for m in _read(path) if m.id}
    missing = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(WEB), METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}}):
        msgid = message if isinstance(message, str) else message[0]
        if msgid and msgid not in known:
            missing.add(f"{filename}: {msgid}")
    assert not missing, "messages with no translation:\n" + "\n".join(sorted(missing))


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_message_is_translated_twice(path):
    """Two engineers adding the same word: the second entry would silently win."""
    seen, twice = set(), []
    for line in path.read_text("utf-8").splitlines():
        if line.startswith('msgid "') and line != 'msgid ""':
            if line in seen:
                twice.append(line)
            seen.add(line)
    assert not twice, f"{path}: {twice}"
