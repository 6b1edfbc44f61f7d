"""The secret ballot's cryptography (voting.secrecy), pinned by properties."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from voting import secrecy
from voting.secrecy import ShareError


@settings(max_examples=60, deadline=None)
@given(secret=st.binary(min_size=1, max_size=40), data=st.data())
def test_any_k_shares_give_back_the_secret(secret: bytes, data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 9))
    k = data.draw(st.integers(2, n))
    shares = secrecy.split_secret(secret, k, n)
    chosen = data.draw(st.lists(st.sampled_from(shares), min_size=k, max_size=n, unique=True))
    assert secrecy.combine_shares(chosen) == secret


@settings(max_examples=30, deadline=None)
@given(a=st.binary(min_size=32, max_size=32), b=st.binary(min_size=32, max_size=32), data=st.data())
def test_k_minus_one_shares_fit_any_secret(a: bytes, b: bytes, data: st.DataObject) -> None:
    """k−1 shares of `a` are consistent with every other secret: adding one made-up share point
    at another x turns them into shares of `b` just as well, so they cannot tell `a` from `b`."""
    n = data.draw(st.integers(3, 7))
    k = data.draw(st.integers(2, n))
    held = secrecy.split_secret(a, k, n)[: k - 1]
    # Solve for the k-th point that makes the k-1 held shares open to b: it always exists.
    x_extra = n  # a share not among the held ones
    extra = bytearray(32)
    for i in range(32):
        for guess in range(256):
            extra[i] = guess
            if secrecy.combine_shares([*held, (x_extra, bytes(extra))])[i] == b[i]:
                break
    assert secrecy.combine_shares([*held, (x_extra, bytes(extra))]) == b


def test_one_share_byte_is_uniform_whatever_the_secret() -> None:
    """Over many splits, the first share's byte takes every value about equally, for secret 0 and 255."""
    for secret in (b"\x00", b"\xff"):
        seen = Counter(secrecy.split_secret(secret, 2, 3)[0][1][0] for _ in range(25600))
        assert len(seen) == 256
        assert max(seen.values()) < 180 and min(seen.values()) > 40  # expectation 100 each


def test_cards_round_trip_and_recover_the_key_from_any_k() -> None:
    key = secrecy.make_poll_key(3, 5)
    texts = [s.text for s in key.shares]
    for chosen in itertools.combinations(texts, 3):
        cards = [secrecy.read_share(t.lower().replace("-", " ").replace("O", "0")) for t in chosen]
        private = secrecy.recover_private_key(key.public_key, cards)
        assert len(private) == 32
    with pytest.raises(ShareError, match="需要 3 张"):
        secrecy.recover_private_key(key.public_key, [secrecy.read_share(t) for t in texts[:2]])


def test_a_mistyped_card_is_caught_by_its_check() -> None:
    text = secrecy.make_poll_key(2, 3).shares[0].text
    wrong = ("B" if text[10] != "B" else "C").join([text[:10], text[11:]])
    with pytest.raises(ShareError, match="校验不符|长度不对|无法识别"):
        secrecy.read_share(wrong)


def test_a_card_of_another_poll_is_refused() -> None:
    mine, other = secrecy.make_poll_key(2, 3), secrecy.make_poll_key(2, 3)
    with pytest.raises(ShareError, match="不是这次票决"):
        secrecy.recover_private_key(mine.public_key, [secrecy.read_share(other.shares[0].text),
                                                      secrecy.read_share(mine.shares[1].text)])


def _opened(key: secrecy.PollKey, ref: str, sealed: str, n: int) -> dict | None:
    private = secrecy.recover_private_key(key.public_key, [secrecy.read_share(s.text) for s in key.shares[:2]])
    return secrecy.open_sealed(private, ref, secrecy.read_sealed(sealed, n))


def test_sealed_ballots_open_only_to_their_poll_and_all_have_one_size() -> None:
    key = secrecy.make_poll_key(2, 3)
    sizes = set()
    for marks in ({}, {"P01": "for"}, {f"P{i:02d}": "basically_satisfied" for i in range(1, 41)}):
        sealed = secrecy.seal_marks(key.public_key, "2026-s1-1", marks, 40)
        sizes.add(len(sealed))
        assert _opened(key, "2026-s1-1", sealed, 40) == marks
        assert _opened(key, "2026-s1-2", sealed, 40) is None  # copied into another poll: invalid
    assert len(sizes) == 1
    two = {secrecy.seal_marks(key.public_key, "r", {"P01": "for"}, 3) for _ in range(2)}
    assert len(two) == 2  # the same marks never give the same box: nothing to compare against


def test_a_tampered_or_foreign_box_opens_to_nothing() -> None:
    key = secrecy.make_poll_key(2, 2)
    sealed = bytearray(secrecy.read_sealed(secrecy.seal_marks(key.public_key, "r", {"P01": "for"}, 3), 3))
    sealed[-1] ^= 1
    private = secrecy.recover_private_key(key.public_key, [secrecy.read_share(s.text) for s in key.shares])
    assert secrecy.open_sealed(private, "r", bytes(sealed)) is None
    with pytest.raises(ValueError):
        secrecy.read_sealed("AAAA", 3)
    forged = secrecy.seal_marks(key.public_key, "r", {"P01": "for"}, 3)
    raw = secrecy.read_sealed(forged, 3)
    assert json.loads(secrecy.canonical_marks("r", {"P01": "for"}))["poll"] == "r"
    assert secrecy.open_sealed(private, "r", raw) == {"P01": "for"}


@given(marks=st.dictionaries(st.sampled_from([f"P{i:02d}" for i in range(1, 41)]),
                             st.sampled_from(["for", "against", "abstain", "basically_satisfied"]), max_size=40),
       void=st.booleans())
@settings(max_examples=30, deadline=None)
def test_a_paper_link_opens_to_its_serial_only_and_its_size_says_nothing(marks: dict, void: bool) -> None:
    key = _LINK_KEY
    private = secrecy.recover_private_key(key.public_key, [secrecy.read_share(s.text) for s in key.shares])
    link = secrecy.seal_paper_link(key.public_key, "2026-s1-1", "0001-00002-5", marks, void, 40)
    assert len(link) == len(secrecy.seal_paper_link(key.public_key, "2026-s1-1", "0001-00002-5", {}, False, 40))
    assert secrecy.open_paper_link(private, "2026-s1-1", "0001-00002-5", link) == (marks, void)
    assert secrecy.open_paper_link(private, "2026-s1-1", "0001-00003-3", link) is None  # copied to another serial
    assert secrecy.open_paper_link(private, "2026-s1-2", "0001-00002-5", link) is None  # or another poll
    ballot = secrecy.seal_marks(key.public_key, "2026-s1-1", marks, 40)
    assert secrecy.open_paper_link(private, "2026-s1-1", "0001-00002-5", ballot) is None  # a ballot is no link
    assert secrecy.open_paper_link(private, "2026-s1-1", "0001-00002-5", "not base64!") is None


_LINK_KEY = secrecy.make_poll_key(2, 3)
