"""One finding about a model file, in a shape both people and the API can use.

Every check (XML hardening, XSD, SpiffWorkflow's parser, lint rules) reports
through `Problem` so that the modeller sees one uniform list, sorted the same
way every time.
"""

from dataclasses import asdict, dataclass

SEVERITIES = ('error', 'warning')


@dataclass(frozen=True)
class Problem:
    """A finding located as precisely as the source allows (file, line, element)."""

    file: str
    line: int | None
    element_id: str | None
    severity: str
    rule: str
    message: str

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f'severity must be one of {SEVERITIES}, not {self.severity!r}')

    def __str__(self):
        where = self.file or '<model>'
        if self.line is not None:
            where = f'{where}:{self.line}'
        element = f' [{self.element_id}]' if self.element_id else ''
        return f'{where}{element} {self.severity} {self.rule}: {self.message}'

    @property
    def is_error(self) -> bool:
        return self.severity == 'error'

    def to_dict(self) -> dict:
        return asdict(self)


def nearest_id(element) -> str | None:
    """The id of the element or of its closest ancestor that has one.

    Findings often sit on a child without an id (a `bpmn:script`, a
    `bpmn:timeDuration`); the modeller needs the task or event it belongs to.
    """
    while element is not None:
        element_id = element.get('id') if isinstance(element.tag, str) else None
        if element_id:
            return element_id
        element = element.getparent()
    return None


def at_element(file: str, element, severity: str, rule: str, message: str) -> Problem:
    """A Problem pointing at an lxml element (its source line and nearest id)."""
    return Problem(file, element.sourceline, nearest_id(element), severity, rule, message)


def sort_problems(problems) -> list[Problem]:
    """Drop duplicates and order stably: by file, errors first, then by line.

    Errors lead within a file because they are what blocks a deployment.
    """
    def key(problem):
        return (problem.file, SEVERITIES.index(problem.severity),
                problem.line if problem.line is not None else 0,
                problem.rule, problem.element_id or '', problem.message)
    return sorted(set(problems), key=key)


def has_errors(problems) -> bool:
    return any(problem.is_error for problem in problems)


def summarize(problems) -> str:
    """A one-sentence summary for `ModelError`: the first error and how many more."""
    ordered = sort_problems(problems)
    errors = [problem for problem in ordered if problem.is_error] or ordered
    if not errors:
        return 'The model is invalid.'
    text = f'Invalid model: {errors[0]}'
    if len(ordered) > 1:
        more = len(ordered) - 1
        text += f' (and {more} more problem{"s" if more > 1 else ""})'
    return text
