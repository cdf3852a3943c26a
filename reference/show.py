"""`python -m reference show STEM`: a scratch component and its two twins, one after another.

    python -m reference show linear            (or nn.linear; activations; optim.optimizers ...)
    python -m reference show activations --name GELU

For each class of scratch/<stem>.py that has twins, prints its source (forward and backward
by hand), then the torch twin's and the jax twin's (forward only, or a call into the
framework's optimizer), each under a header saying where its gradient or update comes from.
For layers and losses the twins' gradients come from the helpers in reference/<fw>/_autodiff.py,
printed once at the end: the bridge from a hand-written backward to autograd.
The source is read with inspect.getsource from the modules themselves; nothing is copied.
"""

import inspect
import pkgutil
import sys
from importlib import import_module
from pathlib import Path

import scratch
from scratch.optim.schedules import Schedule
from scratch.protocol import Layer, Learner, Loss

FRAMEWORKS = ("torch", "jax")
# what a twin's source may call to get gradients or updates, per framework, as they are named
GRADIENT_SOURCES = {  # (text in the twin's source, what to call it)
    "torch": (
        ("torch.autograd.grad", "torch.autograd.grad"),
        (".backward()", "loss.backward() (torch.autograd)"),
        ("torch.optim", "torch.optim"),
        ("lr_scheduler", "torch.optim.lr_scheduler"),
    ),
    "jax": (
        ("jax.vjp", "jax.vjp"),
        ("jax.grad(", "jax.grad"),
        ("jax.value_and_grad", "jax.value_and_grad"),
        ("optax", "optax"),
    ),
}
AUTODIFF = {"torch": "torch.autograd.grad", "jax": "jax.vjp"}
REFERENCE = Path(__file__).resolve().parent


class ShowError(Exception):
    """A user's mistake or a missing framework: printed as one line."""


def stems():
    """Every scratch module (dotted path below scratch/) that has a twin file in reference/torch."""
    found = []
    for info in pkgutil.walk_packages(scratch.__path__, prefix="scratch."):
        stem = info.name.removeprefix("scratch.")
        if info.ispkg or stem.split(".")[-1].startswith("_"):
            continue
        if (REFERENCE / "torch" / (stem.replace(".", "/") + ".py")).exists():
            found.append(stem)
    return sorted(found)


def resolve(text):
    """'nn.linear', 'nn/linear', 'linear' or 'scratch/nn/linear.py' -> 'nn.linear'."""
    stem = text.strip().removeprefix("scratch/").removeprefix("scratch.").removesuffix(".py")
    stem = stem.replace("/", ".")
    known = stems()
    if stem in known:
        return stem
    matches = [s for s in known if s.split(".")[-1] == stem]
    if len(matches) == 1:
        return matches[0]
    raise ShowError(
        f"show expects a stem with twins, one of {known}; got {text!r}"
        + (f" (ambiguous: {matches})" if matches else "")
    )


def import_twin(framework, stem):
    try:
        return import_module(f"reference.{framework}.{stem}")
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in ("torch", "jax", "jaxlib", "optax"):
            raise ShowError(
                f"show needs {error.name.split('.')[0]} for "
                f"reference/{framework}/{stem.replace('.', '/')}.py; it is not "
                f"installed here (use the full environment, e.g. tox -e tests)"
            ) from None
        raise


def public_classes(module):
    return {
        name: obj
        for name, obj in inspect.getmembers(module, inspect.isclass)
        if obj.__module__ == module.__name__ and not name.startswith("_")
    }


def where_gradients_come_from(framework, twin_source, module_source, uses_autodiff):
    """What the twin class's source calls; failing that, what its module's source does."""
    found = [label for token, label in GRADIENT_SOURCES[framework] if token in twin_source] or [
        label for token, label in GRADIENT_SOURCES[framework] if token in module_source
    ]
    if uses_autodiff:
        found.insert(0, f"{AUTODIFF[framework]} (reference/{framework}/_autodiff.py, below)")
    return ", ".join(dict.fromkeys(found)) or "the framework's own ops (no gradient code here)"


def banner(text):
    return f"\n{'=' * 100}\n{text}\n{'=' * 100}"


def show(text, name=None):
    """The listing as one string."""
    stem = resolve(text)
    path = stem.replace(".", "/") + ".py"
    original = import_module(f"scratch.{stem}")
    twins = {fw: import_twin(fw, stem) for fw in FRAMEWORKS}
    classes = public_classes(original)
    shared = [c for c in classes if all(c in public_classes(t) for t in twins.values())]
    if name is not None:
        if name not in shared:
            raise ShowError(
                f"show expects --name to be one of {shared} in scratch/{path}; got {name!r}"
            )
        shared = [name]
    if not shared:
        raise ShowError(f"scratch/{path} has no class with twins in both frameworks")
    parts, needs_autodiff = [], set()
    for class_name in shared:
        cls = classes[class_name]
        differentiable = issubclass(cls, (Layer, Loss)) and not issubclass(cls, Learner)
        kind = (
            "gradient"
            if differentiable or issubclass(cls, Learner)
            else "learning rate"
            if issubclass(cls, Schedule)
            else "update"
        )
        helpers = [
            base
            for base in cls.__mro__[1:]  # private bases written in the same file
            if base.__module__ == original.__name__ and base.__name__.startswith("_")
        ]
        source = "".join(inspect.getsource(base) + "\n" for base in helpers) + inspect.getsource(
            cls
        )
        parts.append(banner(f"scratch/{path} :: {class_name}    {kind}: by hand, NumPy"))
        parts.append(source)
        for framework, twin in twins.items():
            twin_source = inspect.getsource(public_classes(twin)[class_name])
            if differentiable:
                needs_autodiff.add(framework)
            origin = where_gradients_come_from(
                framework, twin_source, inspect.getsource(twin), differentiable
            )
            parts.append(
                banner(f"reference/{framework}/{path} :: {class_name}    {kind}: {origin}")
            )
            parts.append(twin_source)
    for framework in FRAMEWORKS:
        if framework in needs_autodiff:
            autodiff = import_module(f"reference.{framework}._autodiff")
            parts.append(
                banner(
                    f"reference/{framework}/_autodiff.py    how a {framework} twin's "
                    f"forward becomes gradients"
                )
            )
            parts.append(
                "\n".join(
                    inspect.getsource(getattr(autodiff, f)) for f in ("layer_vjp", "loss_vjp")
                )
            )
    return "\n".join(parts)


def add_show_parser(commands):
    parser = commands.add_parser(
        "show", help="a scratch component and its torch and jax twins, one after another"
    )
    parser.add_argument("stem", help="e.g. nn.linear, linear, activations, optim.optimizers")
    parser.add_argument(
        "--name",
        default=None,
        help="only this class of the module (default: every class with twins)",
    )
    return parser


def show_command(args):
    try:
        print(show(args.stem, args.name))
    except ShowError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
