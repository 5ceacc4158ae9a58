"""What a script reads before it sets it, and what it sets: the names of Python source.

The undefined-name lint rule (engine.models.bpmn.dataflow) asks this of every script,
condition and timer expression. It follows statement order (`x = x + 1` reads `x`),
keeps comprehension, lambda and loop variables local, and leaves out names only called
(the sandbox's helpers and builtins are functions, case data is not).
"""
import ast


class _Reads(ast.NodeVisitor):
    """Names a script reads before it sets them, in statement order, with their line."""

    def __init__(self):
        self.bound, self.reads, self.called = set(), [], set()
        self._local = [set()]

    def read(self, name, line):
        if name not in self.bound and not any(name in scope for scope in self._local):
            self.reads.append((name, line))

    def bind(self, target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.bound.add(node.id)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.read(node.id, node.lineno)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name):
            self.called.add(node.func.id)  # a helper or builtin, not case data
        else:
            self.visit(node.func)
        for arg in [*node.args, *[kw.value for kw in node.keywords]]:
            self.visit(arg)

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self._target(node.target)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):
            self.read(node.target.id, node.lineno)
        self.visit(node.value)
        self._target(node.target)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self.bind(node.target)

    def _target(self, target):
        if isinstance(target, (ast.Name, ast.Tuple, ast.List, ast.Starred)):
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    self.bound.add(node.id)
                elif not isinstance(node, (ast.Tuple, ast.List, ast.Starred, ast.Store, ast.Load)):
                    self.visit(node)
        else:  # x[k] = v, x.a = v: reads x
            self.visit(target)

    def visit_For(self, node):
        self.visit(node.iter)
        self._target(node.target)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    def visit_With(self, node):
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._target(item.optional_vars)
        for statement in node.body:
            self.visit(statement)

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bound.add(node.name)
        for statement in node.body:
            self.visit(statement)

    def visit_FunctionDef(self, node):
        self.bound.add(node.name)  # its body runs later, with its own names: not followed

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._scoped([a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)], [node.body])

    def visit_Import(self, node):
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split('.')[0])

    visit_ImportFrom = visit_Import

    def _comprehension(self, node, results):
        names = set()
        for generator in node.generators:
            self._scoped(names, [generator.iter])
            names |= {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            self._scoped(names, generator.ifs)
        self._scoped(names, results)

    def visit_ListComp(self, node):
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, [node.key, node.value])

    def _scoped(self, names, nodes):
        self._local.append(set(names))
        for node in nodes:
            self.visit(node)
        self._local.pop()


def script_reads(source: str, mode: str) -> tuple[list, set]:
    """([(name, line)] read before being set, names the script sets); ([], set()) when it
    does not parse (the script-compile rule reports that)."""
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [], set()
    visitor = _Reads()
    visitor.visit(tree)
    reads = [(name, line) for name, line in visitor.reads if name not in visitor.called]
    return reads, visitor.bound
