"""Tests of svcov.outputs.typeset: Chinese/Latin line breaking and content-sized table columns."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svcov.outputs.typeset import break_lines, column_widths, estimate_width_em, min_width, tokens


def mono(text: str) -> float:
    """A monospaced measure: Chinese 2 units, everything else 1."""
    return sum(2.0 if re.match(r"[\u2e80-\uffef]", ch) else 1.0 for ch in text)


def test_tokens_keep_words_numbers_codes_and_short_notes_whole():
    assert tokens("覆盖率 35.4% (估算)、石湖荡镇") == ["覆", "盖", "率", " ", "35.4%", " ", "(估算)、", "石", "湖", "荡",
                                                 "镇"]
    assert tokens("缺少字段 opened_year。") == ["缺", "少", "字", "段", " ", "opened_year。"]
    assert tokens("二(二)1、三(一)1") == ["二", "(二)1、", "三", "(一)1"]
    assert tokens("「3个一」布局") == ["「3个一」", "布", "局"]
    assert tokens("「普惠性托育服务」覆盖率") == ["「普", "惠", "性", "托", "育", "服", "务」", "覆", "盖", "率"]
    assert tokens("S2023-06 与 2021-2023 年") == ["S2023-06", " ", "与", " ", "2021-2023", " ", "年"]


def test_break_lines_never_splits_latin_and_obeys_the_closing_mark_rule():
    text = ("已知 0 个托位, 数据来源不是完整名册 (OpenStreetMap 幼儿园 (约占全区四成, 非完整名册)); 缺少字段 "
            "capacity_places (托位数): 请在名册中填写 (67 条记录为空); 覆盖率 35.4%、石湖荡镇 (估算)。")
    for width in range(16, 60, 3):
        lines = break_lines(text, width, mono)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all(mono(line) <= width for line in lines)
        for a, b in zip(lines, lines[1:]):
            assert not (a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum()), (a, b)
            assert b[0] not in "、。，)）」:;,.%", (a, b)
            assert not a.endswith("(估") and not b.startswith("算)")


def test_break_lines_cuts_an_overlong_word_at_its_soft_marks_first():
    assert break_lines("has_nursery_class", 9, mono) == ["has_", "nursery_", "class"]
    assert break_lines("abcdefghij", 4, mono) == ["abcd", "efgh", "ij"]
    assert break_lines("甲乙\n丙", 10, mono) == ["甲乙", "丙"]
    assert break_lines("", 10, mono) == [""]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["街", "镇", "覆盖率", " ", "35.4%", "opened_year", "(估算)", "、", "。", "S2023-06",
                                 "2021-2023", "(OpenStreetMap", "幼儿园)", "\n"]), min_size=1, max_size=40),
       st.integers(min_value=12, max_value=50))
def test_break_lines_property(pieces, width):
    text = "".join(pieces)
    lines = break_lines(text, width, mono)
    assert "".join(lines).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert all(mono(line) <= width for line in lines)
    for paragraph in text.split("\n"):          # every piece that fits on a line is on one line
        for piece in tokens(paragraph):
            assert piece.isspace() or mono(piece) > width or any(piece in line for line in lines), piece


def test_column_widths_fit_the_content():
    columns = ("街镇", "状态", "差距 / 说明")
    rows = [("石湖荡镇", "数据不足", "未加载普惠性托育点数据: 请在配置 facilities 中加入普惠性托育点名册" * 3),
            ("方松街道", "达标", "—")]
    widths = column_widths(columns, rows, 100, mono, padding=1)
    assert sum(widths) == pytest.approx(100)
    assert widths[2] > 2 * widths[0]                       # the long column gets the room
    assert widths[0] >= mono("石湖荡镇") + 2 and widths[1] >= mono("数据不足") + 2   # short names stay on one line
    assert len({round(w, 3) for w in widths}) > 1
    assert all(w >= min_width(t, mono) + 2 for w, t in zip(widths, ("石湖荡镇", "数据不足", "facilities")))


def test_column_widths_stretch_short_tables_and_scale_impossible_ones():
    widths = column_widths(("年份", "覆盖率"), [("2021 年", "35.4%")], 60, mono)
    assert sum(widths) == pytest.approx(60) and widths[0] > widths[1]
    long_words = column_widths(("a", "b"), [("x" * 50, "y" * 30)], 40, mono)
    assert sum(long_words) == pytest.approx(40) and long_words[0] > long_words[1]
    fixed = column_widths(("a",), [("",)], 10, mono)
    assert fixed == [10]


def test_estimate_width_em():
    assert estimate_width_em("街镇") == 2.0
    assert estimate_width_em("ab 12") == pytest.approx(0.5 + 0.5 + 0.28 + 1.2)
