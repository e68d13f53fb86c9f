"""AttrDict behaves like MMEngine's ConfigDict where config code can tell the difference."""

from __future__ import annotations

import copy

from hydrareg.convert.attrdict import AttrDict, plain


def test_storing_converts_and_copies() -> None:
    inner = {"a": 1}
    items = [inner, (2, {"b": 3})]
    d = AttrDict(x=inner, y=items)
    assert isinstance(d["x"], AttrDict) and d["x"] is not inner
    assert d["y"] is not items and isinstance(d["y"][0], AttrDict) and isinstance(d["y"][1], tuple)
    inner["a"] = 2
    items.append(9)
    assert d["x"]["a"] == 1 and len(d["y"]) == 2
    kept = AttrDict(z=1)
    d["k"] = kept
    assert d["k"] is kept  # an AttrDict is stored as is


def test_update_merges_nested_dicts() -> None:
    d = AttrDict(head=dict(n=80, loss=dict(w=1.0, t="CE")), lr=0.1)
    d.update(dict(head=dict(loss=dict(w=2.0)), lr=[1]), extra=3)
    assert plain(d) == {"head": {"n": 80, "loss": {"w": 2.0, "t": "CE"}}, "lr": [1], "extra": 3}


def test_plain_dict_update_stays_shallow() -> None:
    d = AttrDict()
    dict.__setitem__(d, "p", {"a": {"b": 1, "c": 2}})  # a plain dict inside, as setdefault leaves it
    d.update(p=dict(a=dict(b=5)))
    assert d["p"] == {"a": {"b": 5}}


def test_pop_get_copy_and_deepcopy() -> None:
    d = AttrDict(a=dict(b=[1, 2]))
    assert d.pop("missing") is None and d.get("missing", 4) == 4
    shallow = d.copy()
    assert isinstance(shallow, AttrDict) and shallow["a"] is d["a"]
    deep = copy.deepcopy(d)
    deep["a"]["b"].append(3)
    assert d["a"]["b"] == [1, 2] and isinstance(deep["a"], AttrDict)


def test_merge_honours_delete() -> None:
    d = AttrDict(model=dict(backbone=dict(depth=50, style="pytorch"), neck=1))
    d.merge(dict(model=dict(backbone=dict(_delete_=True, type="Swin"))))
    assert plain(d) == {"model": {"backbone": {"type": "Swin"}, "neck": 1}}


def test_plain_is_plain_all_the_way_down() -> None:
    value = plain(AttrDict(a=[dict(b=(1, dict(c=2)))]))
    assert type(value) is dict and type(value["a"][0]) is dict and type(value["a"][0]["b"][1]) is dict
    assert type(value["a"][0]["b"]) is tuple
