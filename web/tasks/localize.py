"""Forms speak the reader's language: Chinese lives in `title`/`description`/`enumNames`,
English beside it in `x-title-en`/`x-description-en`/`x-enumNames-en` (forms/README.md).
This picks one before rendering."""

LOCALIZED = {"title": "x-title-en", "description": "x-description-en", "message": "x-message-en",
             "x-group": "x-group-en"}


def localize(schema, locale) -> dict:
    """A copy of `schema` whose titles and descriptions are in `locale` (falling back to
    the schema's own Chinese text where no English is given)."""
    if not str(locale or "").startswith("en"):
        return schema
    return _english(schema)


def _english(node):
    if isinstance(node, list):
        return [_english(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _english(value) for key, value in node.items()}
    for key, english in LOCALIZED.items():
        if isinstance(node.get(english), str):
            out[key] = node[english]
    if isinstance(node.get("x-enumNames-en"), list):
        out["enumNames"] = node["x-enumNames-en"]
    return out


def engine_messages(err, locale) -> dict:
    """The engine's field errors (a refused form's cross-field rules among them) in the
    reader's language: the form's own Chinese, or the English beside it."""
    if str(locale or "").startswith("en"):
        return dict(getattr(err, "field_errors_en", None) or err.field_errors)
    return dict(err.field_errors)
