"""Mutation machinery: rewrite one line of a scratch module as `__scaled__(rhs)`, i.e.
rhs * 1.001, load the result as a separate module, and let a test check that the suite notices.

A site is an assignment (or augmented assignment) with a single target, or a `return`
(its first element when it returns a tuple), inside the named functions. Plain reads of
the cache or of `self`, and values that are dict/list/tuple literals, are left alone:
scaling them is no change to the arithmetic (or not arithmetic at all).
"""

import ast
import types
from pathlib import Path

SCRATCH = Path(__file__).resolve().parents[1] / "scratch"


def _skip(value):
    if isinstance(value, (ast.Dict, ast.DictComp, ast.List, ast.Tuple, ast.Set, ast.Constant)):
        return True
    # `X = cache.X`, `cache[0]`, `self.layers[i]`: reads of what forward saved or of the
    # object's own structure; scaling them changes forward (or nothing), not arithmetic
    if isinstance(value, ast.Call):  # `self._backward(...)`: a delegation; the lines of
        value = value.func  # the method it calls are mutated on their own
        if not isinstance(value, ast.Attribute):
            return False
    node = value
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node is not value and isinstance(node, ast.Name) and node.id in ("cache", "self")


def _sites_in(function):
    sites = []
    for node in ast.walk(function):
        if isinstance(node, ast.AugAssign) or (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and not isinstance(node.targets[0], ast.Tuple)
        ):
            if not _skip(node.value):
                sites.append((node, "value"))
        elif isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Tuple):
                if not _skip(node.value.elts[0]):
                    sites.append((node.value.elts, 0))
            elif not _skip(node.value):
                sites.append((node, "value"))
    return sites


def find_sites(tree, function_names):
    """[(owner, function, node_holder, key)] for every mutable line in those functions,
    at module level or in any class, in a stable order."""
    found = []
    for node in tree.body:
        functions = (
            [(None, node)]
            if isinstance(node, ast.FunctionDef)
            else [(node.name, f) for f in node.body if isinstance(f, ast.FunctionDef)]
            if isinstance(node, ast.ClassDef)
            else []
        )
        for owner, function in functions:
            if function.name in function_names:
                found += [
                    (owner, function.name, holder, key) for holder, key in _sites_in(function)
                ]
    return found


def module_path(stem):
    """scratch/nn/linear.py for the dotted stem "nn.linear"."""
    return SCRATCH / f"{stem.replace('.', '/')}.py"


def site_ids(stem, function_names):
    tree = ast.parse(module_path(stem).read_text())
    ids = []
    for owner, function, holder, key in find_sites(tree, function_names):
        node = holder[key] if isinstance(key, int) else holder
        ids.append(f"{stem}:{node.lineno}:{owner or ''}.{function}")
    return ids


def scaled(value):
    """value * 1.001; a dict of arrays (gradients, say) has each entry scaled."""
    if isinstance(value, dict):
        return {k: v * 1.001 for k, v in value.items()}
    return value * 1.001


def load_mutant(stem, function_names, index, name=None):
    """The module scratch/<stem>.py with site number `index` scaled by 1.001; returns
    (module, the mutated line as source)."""
    path = module_path(stem)
    tree = ast.parse(path.read_text())
    _, _, holder, key = find_sites(tree, function_names)[index]

    def wrap(node):
        return ast.Call(ast.Name("__scaled__", ast.Load()), [node], [])

    if isinstance(key, int):
        holder[key] = wrap(holder[key])
        shown = holder[key]
    else:
        holder.value = wrap(holder.value)
        shown = holder
    ast.fix_missing_locations(tree)
    module = types.ModuleType(name or f"scratch.{stem}")
    module.__file__ = str(path)
    module.__scaled__ = scaled
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module, ast.unparse(shown)
