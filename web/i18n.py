"""Languages: Chinese (zh_CN) first, English switchable; each user's choice is kept on them.

Catalogues live in web/translations/<locale>/LC_MESSAGES/messages.po (Chinese under
`zh_Hans_CN`: Babel spells the zh_CN locale with its script when it looks for catalogues); `make install` compiles
them with `pybabel compile`, and the app compiles any catalogue whose .mo is missing or older
than its .po when it starts, so a fresh checkout works too.
"""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request, session
from flask_login import current_user

from .extensions import babel

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


def select_locale() -> str:
    chosen = session.get("locale")
    if current_user and current_user.is_authenticated:
        chosen = current_user.locale or chosen
    if chosen in LOCALES:
        return chosen
    best = request.accept_languages.best_match(["zh", "en"]) if request else None
    return "en" if best == "en" else DEFAULT_LOCALE


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as mo:
            write_mo(mo, catalog)
        tmp.replace(mo_path)


def area_catalogue(bp, package_file: str) -> None:
    """Give an area (blueprint) a catalogue of its own, in `translations/` beside its
    package, compiled and merged into the app's when the area is registered."""
    directory = Path(package_file).resolve().parent / "translations"

    @bp.record_once
    def _merge(state):
        compile_catalogues(directory)
        babel_config = state.app.extensions.get("babel")
        if babel_config is not None and str(directory) not in babel_config.translation_directories:
            babel_config.translation_directories.append(str(directory))


def init_app(app) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=_timezone)
    app.jinja_env.globals["LOCALES"] = LOCALES
    from . import words
    app.jinja_env.globals.update(words.helpers())  # globals: imported macros see them too


def _timezone():
    if current_user and current_user.is_authenticated and current_user.actor.time_zone:
        return current_user.actor.time_zone
    return None  # the instance's: BABEL_DEFAULT_TIMEZONE, set from the engine's time_zone
