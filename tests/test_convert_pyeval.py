"""The sandboxed evaluator: what config code may do, and what it may not."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import pytest

from hydrareg.convert.attrdict import AttrDict
from hydrareg.convert.pyeval import Evaluator, evaluate_expression
from hydrareg.errors import ConversionError, HydraregError


def run(source: str, **names: Any) -> dict[str, Any]:
    namespace = dict(names)
    Evaluator("cfg.py", namespace).run(ast.parse(textwrap.dedent(source)))
    return namespace


def fails(source: str, **names: Any) -> ConversionError:
    with pytest.raises(ConversionError) as info:
        run(source, **names)
    return info.value


def test_literals_arithmetic_and_names() -> None:
    ns = run(
        """
        lr = 0.02 / 8 * 2
        steps = [8, 11]
        scale = (1333, 800)
        half = (scale[0] // 2, -scale[1] // 2)
        name = 'r' + str(50) + ('-caffe' if lr > 0.001 else '')
        flag = not (1 < 2 <= 2) or None
        """
    )
    assert ns["lr"] == 0.005 and ns["half"] == (666, -400)
    assert ns["name"] == "r50-caffe" and ns["flag"] is None
    assert type(ns["steps"]) is list and type(ns["scale"]) is tuple


def test_comprehensions_fstrings_and_calls() -> None:
    ns = run(
        """
        depths = [2, 2, 6, 2]
        keys = {f'stages.{i}.blocks.{j}': dict(lr_mult=0.1)
                for i, n in enumerate(depths) for j in range(n) if j == 0}
        sizes = [s * 32 for s in range(10, 13)]
        total = sum(x for x in depths)
        text = 'lr={:.3f} n={}'.format(0.01, len(depths))
        width = f'{7:04d}|{"x"!r}'
        pairs = sorted(zip(['b', 'a'], [1, 2]))
        """
    )
    assert list(ns["keys"]) == [
        "stages.0.blocks.0",
        "stages.1.blocks.0",
        "stages.2.blocks.0",
        "stages.3.blocks.0",
    ]
    assert ns["sizes"] == [320, 352, 384] and ns["total"] == 12
    assert ns["text"] == "lr=0.010 n=4" and ns["width"] == "0007|'x'"
    assert ns["pairs"] == [("a", 2), ("b", 1)]


def test_statements_functions_and_lambdas() -> None:
    ns = run(
        """
        import copy
        from math import sqrt
        def scaled(x, factor=2):
            if x > 10:
                return x
            return x * factor
        out = []
        for i in range(5):
            if i == 3:
                continue
            out.append(scaled(i))
        out += [scaled(20)]
        a, *rest = out
        key = lambda d: d['k']
        ranked = sorted([dict(k=2), dict(k=1)], key=key)
        base = dict(a=dict(b=1))
        clone = copy.deepcopy(base)
        clone['a']['b'] = 2
        root = sqrt(16)
        del i
        """
    )
    assert ns["out"] == [0, 2, 4, 8, 20] and ns["a"] == 0 and ns["rest"] == [2, 4, 8, 20]
    assert ns["ranked"] == [{"k": 1}, {"k": 2}]
    assert ns["base"] == {"a": {"b": 1}} and ns["clone"] == {"a": {"b": 2}}
    assert ns["root"] == 4.0 and "i" not in ns


def test_a_main_guard_does_not_run() -> None:
    ns = run("x = 1\nif __name__ == '__main__':\n    import argparse\n    x = 2\n")
    assert ns["x"] == 1  # MMEngine runs configs with globals that lack __name__


def test_base_is_edited_in_place_with_configdict_semantics() -> None:
    base = AttrDict(model=dict(type="A", head=dict(n=80, loss=dict(w=1.0)), pre=dict(x=1)), lst=[1, 2])
    ns = run(
        """
        detector = _base_.model
        detector.pop('pre')
        detector.head.update(dict(loss=dict(beta=0.1)))
        detector['init'] = dict(ckpt='x')
        missing = _base_.model.pop('nope')
        del _base_.model
        _base_.lst[0] = 9
        """,
        _base_=base,
    )
    assert "model" not in base and base["lst"] == [9, 2]
    assert ns["detector"] == {
        "type": "A",
        "head": {"n": 80, "loss": {"w": 1.0, "beta": 0.1}},
        "init": {"ckpt": "x"},
    }
    assert isinstance(ns["detector"]["init"], AttrDict)
    assert ns["missing"] is None


def test_references_are_recorded_per_slot() -> None:
    namespace: dict[str, Any] = {"_base_": AttrDict(lr=0.1, model=dict(depth=50))}
    evaluator = Evaluator("cfg.py", namespace)
    evaluator.run(ast.parse("x = 1\nd = dict(a=x, b=_base_.model['depth'], c=x + 1)\ny = x\nl = [x, 2]"))
    slots = {key: target for (_container, key), (target, _value) in evaluator.references.items()}
    assert slots["a"] == ("x",) and slots["b"] == ("model", "depth") and "c" not in slots
    assert slots["y"] == ("x",) and slots[0] == ("x",)


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("x = 1\nimport os", 2, "import of 'os' is not supported"),
        ("x = (1).__class__", 1, "attribute '__class__' of a int is not supported"),
        ("x = open('f')", 1, "name 'open' is not defined"),
        ("x = eval('1')", 1, "name 'eval' is not defined"),
        ("x = 1\n\ny = x.upper", 3, "attribute 'upper' of a int is not supported"),
        ("x = 'a' * 10**8", 1, "too large"),
        ("x = 'a'.center(10**8)", 1, "too large"),
        ("x = list(range(10**8))", 1, "too large"),
        ("x = 2 ** 10**7", 1, "too large"),
        ("while True:\n    pass", 1, "steps"),
        ("x = '{0.__class__}'.format(1)", 1, "attribute and index access is not supported"),
        ("class A:\n    pass", 1, "'ClassDef' statements are not supported"),
        ("x = dict(a=1)\ny = x.a", 2, "'dict' object has no attribute 'a'"),
        ("x = [1][3]", 1, "IndexError"),
        ("x = {}\ny = x['k']", 2, "KeyError"),
        ("with read_base():\n    from .x import *", 1, "lazy import"),
        ("from .base import x", 1, "relative imports (new-style, lazy import configs)"),
        ("from copy import replace", 1, "'from copy import replace' is not supported"),
        ("def f(*a):\n    return a", 1, "*args, **kwargs or keyword-only"),
        ("x = 1\n@f\ndef g():\n    pass", 3, "decorated functions"),
        ("x = 1\na, b = [1, 2, 3]", 2, "cannot unpack 3 values into 2 names"),
        ("assert 1 > 2, 'too small'", 1, "assertion failed: too small"),
        ("x = [1]\nx.y = 2", 2, "cannot set attribute 'y' on a list"),
        ("x = (1).bit_length\ny = x.__self__", 2, "attribute '__self__'"),
        ("x = sorted([3, 1], key=lambda v: -v)\ny = (lambda: 1)()\nz = dict.fromkeys", 3, "of a type"),
    ],
)
def test_refusals_and_errors_name_file_and_line(source: str, line: int, words: str) -> None:
    error = fails(source)
    assert isinstance(error, HydraregError) and isinstance(error, ValueError)
    assert error.file == "cfg.py" and error.line == line
    assert str(error).startswith(f"cfg.py:{line}: ") and words in str(error)


def test_attribute_of_base_that_is_missing() -> None:
    error = fails("y = _base_.nope", _base_=AttrDict(x=1))
    assert error.line == 1 and "has no attribute 'nope'" in str(error)


def test_base_list_expression() -> None:
    node = ast.parse("['../a.py', './b.py'] + ['c.py']", mode="eval").body
    assert evaluate_expression(node, "cfg.py") == ["../a.py", "./b.py", "c.py"]
    with pytest.raises(ConversionError, match=r"cfg.py:1: name 'models' is not defined"):
        evaluate_expression(ast.parse("models + 'x.py'", mode="eval").body, "cfg.py")
