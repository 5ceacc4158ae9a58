"""Run-time guards of the script sandbox (see engine/sandbox/scripts.py and sandbox_policy.py).

A BPMN engine running modellers' scripts in worker threads needs a wall-clock limit that
works in any thread, and size checks on the operators and methods that can allocate
gigabytes in a single C call: the guards below are what the policy's rewritten code calls.
"""
import operator
import re
import sys
import time
from decimal import Decimal

from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.sandbox.policy import SandboxError, ScriptTimeout, refuse  # noqa: F401 (re-exported)

MAX_ITEMS = 10_000_000      # characters in a string, items in a list or tuple
MAX_RANGE = 1_000_000       # items in a range()
MAX_INT_BITS = 100_000      # about 30,000 decimal digits
MAX_WIDTH = 10_000          # format widths and precisions, round() digits, json indent
MAX_DECIMAL_EXP = 10_000    # int(Decimal('1e999999')) holds the GIL for ~20 s
MEMORY_CHECK_INTERVAL = 0.02
PRINT_LIMIT = 65_536        # characters a script may print (into `printed`)

_SEQUENCES = (str, bytes, list, tuple)


def check_size(n):
    if n > MAX_ITEMS:
        refuse(f"result too large ({n:,} items; the limit is {MAX_ITEMS:,})")


def check_bits(n):
    if n > MAX_INT_BITS:
        refuse(f"result too large (a number of about {n:,} bits; the limit is {MAX_INT_BITS:,})")


def guarded_mul(a, b):
    if isinstance(b, int) and isinstance(a, _SEQUENCES):
        check_size(len(a) * b)
    elif isinstance(a, int) and isinstance(b, _SEQUENCES):
        check_size(len(b) * a)
    elif isinstance(a, int) and isinstance(b, int):
        check_bits(a.bit_length() + b.bit_length())
    return a * b


def guarded_pow(a, b, mod=None):
    if mod is not None:  # modular: cost grows with exponent bits times modulus bits
        if isinstance(b, int) and isinstance(mod, int) and (
                b.bit_length() * mod.bit_length() > MAX_INT_BITS * 100):
            refuse("pow() with an exponent and modulus this large")
        return pow(a, b, mod)
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        check_bits(b * a.bit_length())
    return a ** b


def guarded_lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 0 and a:
        check_bits(a.bit_length() + b)
    return a << b


def guarded_add(a, b):
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        check_size(len(a) + len(b))
    return a + b


_PERCENT_FIELD = re.compile(r'%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?')


def check_format_spec(spec):
    if any(int(n) > MAX_WIDTH for n in re.findall(r'\d+', spec)):
        refuse(f"format width or precision above {MAX_WIDTH:,}")


def guarded_mod(a, b):
    if isinstance(a, (str, bytes)):
        text = a.decode('latin-1') if isinstance(a, bytes) else a
        fields = _PERCENT_FIELD.findall(text)
        check_format_spec(' '.join(n for field in fields for n in field if n != '*'))
        if any('*' in field for field in fields):
            for value in b if isinstance(b, tuple) else (b,):
                if isinstance(value, int) and abs(value) > MAX_WIDTH:
                    refuse(f"format width or precision above {MAX_WIDTH:,}")
    return a % b


_CONVERSIONS = {-1: lambda v: v, 115: str, 114: repr, 97: ascii}


def guarded_format(value, spec, conversion=-1):
    """What an f-string field with a format spec does, minus absurd widths."""
    check_format_spec(spec)
    return format(_CONVERSIONS[conversion](value), spec)


_INPLACE = {'+=': guarded_add, '*=': guarded_mul, '**=': guarded_pow, '<<=': guarded_lshift,
            '%=': guarded_mod, '-=': operator.sub, '/=': operator.truediv,
            '//=': operator.floordiv, '>>=': operator.rshift, '|=': operator.or_,
            '^=': operator.xor, '&=': operator.and_, '@=': operator.matmul}


def guarded_inplacevar(op, target, value):
    return _INPLACE[op](target, value)


def guarded_range(*args):
    r = range(*args)
    try:
        n = len(r)
    except OverflowError:
        n = MAX_RANGE + 1
    if n > MAX_RANGE:
        refuse(f"range() of more than {MAX_RANGE:,} items")
    return r


def guarded_round(number, ndigits=None):
    if isinstance(ndigits, int) and abs(ndigits) > MAX_WIDTH:
        refuse(f"round() to more than {MAX_WIDTH:,} digits")
    return round(number) if ndigits is None else round(number, ndigits)


def guarded_type(*args):
    """type(x) only: three-argument type() builds classes, and metaclasses are refused."""
    if len(args) != 1:
        refuse("type() with 3 arguments is not allowed")
    result = type(args[0])
    if issubclass(result, type):
        refuse("access to metaclasses is not allowed")
    return result


def check_decimal(value):
    if value.is_finite() and abs(value.adjusted()) > MAX_DECIMAL_EXP:
        refuse(f"Decimal exponent beyond {MAX_DECIMAL_EXP:,}")
    return value


class _DecimalMeta(type):
    """Lets the exposed `Decimal` build and recognise real decimals, with bounded exponents."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Decimal)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, Decimal)

    def __call__(cls, value='0', context=None):
        return check_decimal(Decimal(value, context))

    def __getattr__(cls, name):
        return getattr(Decimal, name)


class SafeDecimal(metaclass=_DecimalMeta):
    """Stands in for decimal.Decimal inside scripts."""


# -- attribute access -----------------------------------------------------------------------

_AMPLIFIERS = frozenset({'ljust', 'rjust', 'center', 'zfill', 'expandtabs', 'replace', 'join',
                         'translate', 'to_bytes', 'extend'})


def _amplifier(obj, name, method):
    """Wrap a method whose result can be far larger than its inputs."""
    if name in ('ljust', 'rjust', 'center', 'zfill', 'to_bytes'):
        def wrapper(*args, **kwargs):
            check_size(kwargs.get('length', args[0] if args else 1))  # width, or to_bytes length
            return method(*args, **kwargs)
    elif name == 'expandtabs':
        def wrapper(tabsize=8):
            check_size(len(obj) + obj.count(b'\t' if isinstance(obj, bytes) else '\t') * tabsize)
            return method(tabsize)
    elif name == 'replace':
        def wrapper(old, new, count=-1):
            hits = len(obj) + 1 if not old else obj.count(old)
            hits = hits if count < 0 else min(count, hits)
            check_size(len(obj) + hits * (len(new) - len(old)))
            return method(old, new, count)
    elif name == 'join':
        def wrapper(iterable):
            items = list(iterable)
            lengths = sum(len(i) for i in items if isinstance(i, (str, bytes)))
            check_size(lengths + len(obj) * max(len(items) - 1, 0))
            return method(items)
    elif name == 'translate':
        def wrapper(table):
            values = table.values() if isinstance(table, dict) else ()
            longest = max((len(v) for v in values if isinstance(v, str)), default=1)
            check_size(len(obj) * longest)
            return method(table)
    else:  # list.extend
        def wrapper(iterable):
            if isinstance(iterable, _SEQUENCES):
                check_size(len(obj) + len(iterable))
            return method(iterable)
    return wrapper


_MISSING = object()


def guarded_getattr(obj, name, default=_MISSING):
    """`_getattr_` and the scripts' `getattr`: no underscore or frame/code attributes,
    no str.format (it reaches attributes through format fields), size-checked amplifiers."""
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if name.startswith('_') or name in INSPECT_ATTRIBUTES:
        refuse(f"access to '{name}' is not allowed")
    if name in ('format', 'format_map') and (
            isinstance(obj, str) or (isinstance(obj, type) and issubclass(obj, str))):
        refuse("str.format() is not allowed; use an f-string")
    value = getattr(obj, name) if default is _MISSING else getattr(obj, name, default)
    if name in _AMPLIFIERS and callable(value):
        if isinstance(obj, type):
            refuse(f"call {name}() on a value, not on the type")
        if isinstance(obj, (str, bytes, list, int)):
            return _amplifier(obj, name, value)
    return value


def guarded_hasattr(obj, name):
    try:
        guarded_getattr(obj, name)
    except AttributeError:
        return False
    return True


# -- per-run state: the deadline and the memory baseline ------------------------------------

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None
_MAXRSS_UNIT = 1 if sys.platform == 'darwin' else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere


def peak_resident_bytes():
    """This process's peak resident memory (a 1 us call), or None where unavailable.
    The peak, not the current size: a script may reuse memory the process already had."""
    if resource is None:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_UNIT


class RunGuard:
    """One script run's clock and memory watch. `tick` runs at every loop pass and call:
    one monotonic() read, and a look at peak resident memory every 20 ms. A limit once hit is
    sticky, so a script that catches the error is stopped again at its next tick."""

    def __init__(self, time_limit, memory_limit, print_limit=PRINT_LIMIT):
        self.time_limit, self.memory_limit, self.print_limit = time_limit, memory_limit, print_limit
        self.printed = 0
        now = time.monotonic()
        self.deadline = now + time_limit
        self.baseline = peak_resident_bytes() if memory_limit else None
        self.next_check = min(self.deadline, now + MEMORY_CHECK_INTERVAL)
        self.failure = None

    def tick(self, value=None):
        if time.monotonic() >= self.next_check:
            self._check()
        return value

    def _check(self):
        if self.failure is not None:
            raise self.failure
        now = time.monotonic()
        if now >= self.deadline:
            self._fail(ScriptTimeout(f"Script exceeded its time limit of {self.time_limit} s"))
        if self.baseline is not None:
            grown = (peak_resident_bytes() or 0) - self.baseline
            if grown > self.memory_limit:
                self._fail(SandboxError(
                    f"Script refused: memory limit of {self.memory_limit // 2**20} MB exceeded"))
        self.next_check = min(self.deadline, now + MEMORY_CHECK_INTERVAL)

    def _fail(self, error):
        self.failure, self.next_check = error, float('-inf')
        raise error

    def getitem(self, obj, index):
        self.tick()
        return obj[index]

    def sum(self, iterable, start=0):
        """Numbers are summed in C; anything else (lists, strings) goes through `+` guards."""
        if isinstance(start, (int, float, complex, Decimal)):
            return sum(iterable, start)
        total = start
        for item in iterable:
            self.tick()
            total = guarded_add(total, item)
        return total

    def printer(self, _getattr_=None):
        """`_print_`: RestrictedPython's collector, stopped at `print_limit` characters."""
        guard = self

        class Bounded(PrintCollector):
            def write(self, text):
                guard.tick()
                guard.printed += len(text)
                if guard.printed > guard.print_limit:
                    refuse(f"printed output above {guard.print_limit:,} characters")
                self.txt.append(text)
        return Bounded(_getattr_)

    def builtins(self):
        return {'_tick_': self.tick, '_getitem_': self.getitem, 'sum': self.sum,
                '_print_': self.printer}
