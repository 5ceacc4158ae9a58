"""Compile-time policy of the script sandbox (see engine/sandbox/scripts.py).

RestrictedPython already refuses underscore names and routes attribute, item and
iteration access through guard functions. This transformer also injects `_tick_()` calls
(every loop pass, function entry and call) for the wall-clock limit, and routes `*`, `**`,
`<<`, `+`, `%` and f-string format specs through the size guards in `sandbox_guards`.
"""
import ast

from RestrictedPython.transformer import (
    INSPECT_ATTRIBUTES,
    IOPERATOR_TO_STR,
    RestrictingNodeTransformer,
)

#: Names refused wherever they appear, so the message is clearer than a NameError.
FORBIDDEN_NAMES = frozenset({'eval', 'exec', 'compile', 'globals', 'locals', 'vars',
                             'breakpoint', 'memoryview', 'bytearray', 'super'})
#: Refused as calls only: `open` is also a plausible name for a task data field.
FORBIDDEN_CALLS = FORBIDDEN_NAMES | {'open', 'input'}
_GUARDED_OPS = {ast.Mult: '_mul_', ast.Pow: '_pow_', ast.LShift: '_lshift_',
                ast.Add: '_add_', ast.Mod: '_mod_'}


class SandboxError(Exception):
    """A script was refused or stopped by the sandbox; `line` is its line when known."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


class ScriptTimeout(SandboxError):
    """The script ran past its wall-clock limit."""


def refuse(what):
    raise SandboxError(f"Script refused: {what}")


def _name(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _call(name, args, like):
    return ast.copy_location(ast.Call(func=_name(name), args=list(args), keywords=[]), like)


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus clearer refusals, tick points and size guards."""

    def check_name(self, node, name, allow_magic_methods=False):
        if name and name.startswith('_') and name != '_':
            self.error(node, f"access to '{name}' is not allowed")
        elif name in FORBIDDEN_NAMES:
            self.error(node, f"'{name}' is not allowed")
        else:
            super().check_name(node, name, allow_magic_methods)

    def visit_Attribute(self, node):
        if (node.attr.startswith('_') and node.attr != '_') or node.attr in INSPECT_ATTRIBUTES:
            self.visit(node.value)  # report refusals in source order: a.__class__.__bases__
            self.error(node, f"access to '{node.attr}' is not allowed")
            return node
        return super().visit_Attribute(node)

    def visit_Import(self, node):
        self.error(node, "import is not allowed")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed")
        return node

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            self.error(node, f"{node.func.id}() is not allowed")
            return node
        return _call('_tick_', [super().visit_Call(node)], node)

    def visit_AugAssign(self, node):
        """`d[k] += v` becomes `o, i = d, k; _write_(o)[i] = _inplacevar_('+=', o[i], v)`
        (RestrictedPython refuses it, but counters in dicts are everyday script code)."""
        if not isinstance(node.target, ast.Subscript):
            return super().visit_AugAssign(node)
        obj, index = self.gen_tmp_name(), self.gen_tmp_name()
        item = _call('_getitem_', [_name(obj), _name(index)], node)
        value = _call('_inplacevar_', [ast.Constant(IOPERATOR_TO_STR[type(node.op)]), item,
                                       self.visit(node.value)], node)
        target = ast.Subscript(_call('_write_', [_name(obj)], node), _name(index), ast.Store())
        return [ast.copy_location(statement, node) for statement in (
            ast.Assign([_name(obj, ast.Store)], self.visit(node.target.value)),
            ast.Assign([_name(index, ast.Store)], self.visit(node.target.slice)),
            ast.Assign([target], value))]

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        name = _GUARDED_OPS.get(type(node.op))
        return node if name is None else _call(name, [node.left, node.right], node)

    def _tick_first(self, node):
        node.body.insert(0, ast.copy_location(ast.Expr(_call('_tick_', [], node)), node))
        return node

    def visit_While(self, node):
        return self._tick_first(super().visit_While(node))

    def visit_For(self, node):
        return self._tick_first(super().visit_For(node))

    def visit_FunctionDef(self, node):
        return self._tick_first(super().visit_FunctionDef(node))

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = _call('_tick_', [node.body], node)
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs.insert(0, _call('_tick_', [ast.Constant(True)], node.iter))
        return node

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        if node.format_spec is not None:
            args = [node.value, node.format_spec, ast.Constant(node.conversion)]
            node.value, node.format_spec, node.conversion = _call('_format_', args, node), None, -1
        return node

    def visit_Module(self, node):
        return ast.fix_missing_locations(super().visit_Module(node))

    def visit_Expression(self, node):
        return ast.fix_missing_locations(super().visit_Expression(node))


# -- size guards: check the size of a result before Python allocates it ---------------------
