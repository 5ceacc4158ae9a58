"""Which expressions may run in the server's own process: those an AST check proves cheap.

Gateway conditions and timer expressions are evaluated on every pass of a case, so a trip
to a worker process for each would cost the hot path dearly; almost all of them are like
`amount <= 100000` or `decision == 'approve'`. An expression runs in-process (still
compiled by the sandbox policy and run under its guards) only if it is short and made of
comparisons, boolean logic, names, attributes, subscripts, small literals, a few
arithmetic operators and calls of a short list of builtins and methods whose cost is
linear in data the case already holds (a case's state is bounded, see `case_state_max_bytes`,
and integers in task data are bounded by JSON's 4,300 digits). No `**`, `<<`, no `*`
except by a small constant, no comprehension, lambda or helper call: anything else goes to
a worker (engine/sandbox/pool.py).
"""
import ast
import functools

MAX_SOURCE = 1000
MAX_OPERATORS = 8
MAX_CONSTANT = 10_000      # characters of a string literal
MAX_FACTOR = 1000          # an int constant multiplying something
_CALLS = frozenset({'len', 'str', 'int', 'float', 'bool', 'abs', 'min', 'max', 'isinstance',
                    'any', 'all', 'sorted', 'round', 'now', 'list', 'tuple', 'set', 'dict',
                    'date', 'datetime', 'timedelta', 'Decimal'})
_METHODS = frozenset({'get', 'keys', 'values', 'items', 'lower', 'upper', 'strip', 'lstrip',
                      'rstrip', 'startswith', 'endswith', 'isdigit', 'isdecimal', 'count',
                      'index', 'split', 'date', 'isoformat', 'total_seconds', 'weekday'})
_OPERATORS = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Mult, ast.BitAnd,
              ast.BitOr, ast.BitXor, ast.RShift)
_NODES = (ast.Expression, ast.Name, ast.Load, ast.Attribute, ast.Subscript, ast.Slice,
          ast.Compare, ast.cmpop, ast.BoolOp, ast.boolop, ast.UnaryOp, ast.unaryop, ast.IfExp,
          ast.Tuple, ast.List, ast.Set, ast.Dict, ast.JoinedStr, ast.FormattedValue,
          ast.keyword, ast.operator)


def _small_factor(node) -> bool:
    value = node.value if isinstance(node, ast.Constant) else None
    return (isinstance(value, float) or (isinstance(value, int) and abs(value) <= MAX_FACTOR))


def _node_ok(node) -> bool:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            return value.bit_length() <= 64
        return not isinstance(value, (str, bytes)) or len(value) <= MAX_CONSTANT
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, _OPERATORS):
            return False
        return not isinstance(node.op, ast.Mult) or _small_factor(node.left) or _small_factor(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in _CALLS
        return isinstance(func, ast.Attribute) and func.attr in _METHODS
    if isinstance(node, ast.Starred):
        return False
    return isinstance(node, _NODES)


@functools.lru_cache(maxsize=4096)
def is_bounded(source: str) -> bool:
    """True if `source` is an expression cheap enough to evaluate in the server's process."""
    source = (source or '').strip()
    if len(source) > MAX_SOURCE:
        return False
    try:
        tree = ast.parse(source, mode='eval')
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # the sandbox's own compile reports it, wherever it runs
    nodes = list(ast.walk(tree))
    if sum(isinstance(node, (ast.BinOp, ast.Call)) for node in nodes) > MAX_OPERATORS:
        return False
    return all(_node_ok(node) for node in nodes)
