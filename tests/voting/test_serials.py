"""Ballot serial numbers: the check digit catches a mistyped digit, the QR text parses back."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.serials import SerialError, luhn_digit, make_serial, parse_serial, qr_text, split_qr

PROPERTY = settings(max_examples=300, deadline=None)
poll_ids = st.integers(1, 99_999)
numbers = st.integers(1, 99_999)


def test_serial_layout_and_known_check_digits():
    assert make_serial(7, 42) == "0007-00042-5"
    assert make_serial(12345, 1) == "12345-00001-7"
    assert luhn_digit("7992739871") == "3"  # the textbook Luhn example


def test_qr_text_is_what_a_hand_scanner_types():
    serial = make_serial(7, 42)
    assert qr_text("2025-s1-7", serial) == "PJ1|2025-s1-7|0007-00042-5"
    assert parse_serial(qr_text("2025-s1-7", serial)) == (7, 42)
    assert split_qr(qr_text("2025-s1-7", serial)) == ("2025-s1-7", 7, 42)
    assert split_qr(serial) == (None, 7, 42)


@pytest.mark.parametrize("typed", [
    " 0007-00042-5\n", "0007 - 00042 - 5", "０００７－０００４２－５", "pj1 | 2025-s1-7 | 0007-00042-5\r\n",
    "PJ1｜2025-s1-7｜0007-00042-5",
])
def test_parse_tolerates_spaces_full_width_forms_and_scanner_line_ends(typed):
    assert parse_serial(typed) == (7, 42)


@pytest.mark.parametrize("typed, words", [
    ("", "没有输入"),
    ("0007-00042", "格式不对"),
    ("7-42-5", "格式不对"),
    ("0007-00042-4", "校验位不符"),
    ("0007-00024-5", "校验位不符"),
    ("PJ2|2025-s1-7|0007-00042-5", "不是本系统选票的二维码"),
    ("PJ1||0007-00042-5", "不是本系统选票的二维码"),
    ("PJ1|2025-s1-7|0007-00042-5|x", "不是本系统选票的二维码"),
    ("0000-00000-0", "不是印制过的编号"),
])
def test_malformed_serials_are_refused_in_chinese(typed, words):
    with pytest.raises(SerialError) as caught:
        parse_serial(typed)
    assert words in caught.value.message


def test_make_serial_refuses_numbers_it_cannot_print():
    for poll_id, number in ((0, 1), (1, 0), (1, 100_000)):
        with pytest.raises(ValueError):
            make_serial(poll_id, number)


@PROPERTY
@given(poll_ids, numbers)
def test_every_serial_parses_back(poll_id, number):
    serial = make_serial(poll_id, number)
    assert parse_serial(serial) == (poll_id, number)
    assert parse_serial(qr_text("2025-s1-1", serial)) == (poll_id, number)


@PROPERTY
@given(poll_ids, numbers, st.data())
def test_any_single_digit_change_is_caught(poll_id, number, data):
    serial = make_serial(poll_id, number)
    digit_positions = [i for i, ch in enumerate(serial) if ch.isdigit()]
    position = data.draw(st.sampled_from(digit_positions))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != serial[position]]))
    changed = serial[:position] + replacement + serial[position + 1:]
    with pytest.raises(SerialError):
        parse_serial(changed)
