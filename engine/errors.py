"""The engine's exceptions: each carries a message fit to show a user, never a traceback.

The web layer maps them to HTTP statuses (404, 403, 409, 422); the CLI prints them and exits 1.
"""


class LiandongError(Exception):
    """Base class: `str(error)` is a complete, user-facing sentence."""


class NotFound(LiandongError):
    """The thing does not exist, or the caller may not see it (the two look the same)."""


class Forbidden(LiandongError):
    """The caller may see the thing but may not do this to it."""


class Conflict(LiandongError):
    """Someone else changed the thing first; says who changed what."""


class InvalidData(LiandongError):
    """Submitted data failed validation; `field_errors` maps a field path to its messages."""

    def __init__(self, message, field_errors=None):
        super().__init__(message)
        self.field_errors = dict(field_errors or {})


class ScriptError(LiandongError):
    """A script, condition or timer expression failed or was refused by the sandbox."""

    def __init__(self, message, element_id=None, line=None):
        super().__init__(message)
        self.element_id = element_id
        self.line = line


class ModelError(LiandongError):
    """A BPMN/DMN model is invalid; `problems` lists each finding (file, line, element)."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class ExecutionError(LiandongError):
    """The engine failed while running a case; the case was left as it was."""

    def __init__(self, message, element_id=None):
        super().__init__(message)
        self.element_id = element_id


class Unavailable(LiandongError):
    """The database cannot be reached now; nothing was changed, try again shortly."""

    def __init__(self, message="The database cannot be reached right now. Nothing was "
                               "changed; try again in a moment."):
        super().__init__(message)
