"""Comments of a Python config, found by line."""

from __future__ import annotations

import textwrap

from hydrareg.convert.comments import SourceComments

SOURCE = textwrap.dedent(
    """\
    # Copyright header

    # dataset settings
    data_root = 'data/'  # noqa: E501
    #
    # two lines
    pipeline = [  # yapf: disable
        dict(type='Load'),  # load it
    ]
    # trailing remark
    """
)


def test_blocks_regions_and_trailing_comments() -> None:
    comments = SourceComments.read(SOURCE)
    assert comments.region(0, 4) == [" Copyright header", None, " dataset settings"]
    assert comments.trailing(4) is None  # a pragma only
    assert comments.claim(7) == [" two lines"]  # the empty comment line at the edge is dropped
    assert comments.trailing(8) == " load it"
    assert comments.trailing(8) is None  # claimed once
    assert comments.region(9, None) == [" trailing remark"]


def test_pragmas_are_cut_but_text_stays() -> None:
    comments = SourceComments.read("x = 1  # keep this # noqa\ny = 2  # type: ignore\n")
    assert comments.trailing(1) == " keep this" and comments.trailing(2) is None


def test_a_file_that_does_not_tokenize_still_reads() -> None:
    comments = SourceComments.read("x = 1  # one\ny = (\n")
    assert comments.after_code == {1: " one"} and comments.blank == set()
