"""The signed seal's statement and the audit chain, as an outside verifier reads the spec
(docs/secret-ballot.md): pure, no database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from voting import audit_chain, signed_seal

pytestmark = pytest.mark.once

STATEMENT = signed_seal.Statement("2025-s1-1", "a" * 64, "b" * 64, "c" * 64, "监票人 王芳")
SEED = bytes(range(32))


def test_the_statement_reads_back_and_its_signature_checks_only_over_the_same_text():
    text = STATEMENT.text
    assert text.splitlines()[0] == "format: piaojue-signed-seal/1" and text.endswith("signer: 监票人 王芳\n")
    assert signed_seal.parse(text) == STATEMENT
    public_key, signature = signed_seal.sign(SEED, text)
    assert signed_seal.check_signature(public_key, text, signature) == STATEMENT
    for altered in (text.replace("a" * 64, "d" * 64), text.replace("王芳", "李强"), text + "\n"):
        assert not signed_seal.signature_valid(public_key, altered, signature)
    other_key, _ = signed_seal.sign(bytes(32), text)
    assert not signed_seal.signature_valid(other_key, text, signature)
    assert signed_seal.key_fingerprint(public_key) != signed_seal.key_fingerprint(other_key)


@pytest.mark.parametrize("text", ["", "format: piaojue-signed-seal/1\n", STATEMENT.text.replace("poll", "pol"),
                                  STATEMENT.text.replace("a" * 64, "A" * 64),
                                  STATEMENT.text.replace("/1", "/2")])
def test_a_malformed_statement_is_refused_in_chinese(text):
    with pytest.raises(signed_seal.SignatureProblem, match="格式不对"):
        signed_seal.parse(text)


def test_signatures_that_are_not_64_bytes_or_keys_that_are_not_hex_are_refused():
    public_key, signature = signed_seal.sign(SEED, STATEMENT.text)
    with pytest.raises(signed_seal.SignatureProblem, match="有效的签名"):
        signed_seal.check_signature(public_key, STATEMENT.text, signature[:-8])
    with pytest.raises(signed_seal.SignatureProblem, match="签名钥匙"):
        signed_seal.check_signature("zz" * 32, STATEMENT.text, signature)


def chain(n: int) -> list[dict]:
    rows, prev = [], audit_chain.GENESIS
    start = datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=timezone.utc)
    for i in range(1, n + 1):
        row = {"id": i, "at": start + timedelta(seconds=i), "actor": "秘书处 张敏", "action": "login",
               "subject": f"第{i}条", "detail": {"b": i, "a": ["中", 1.5]}, "reason": ""}
        row["prev_hash"], row["entry_hash"] = prev, audit_chain.hash_of(row, prev)
        prev = row["entry_hash"]
        rows.append(row)
    return rows


def test_the_chain_hashes_the_same_entry_the_same_way_whatever_the_engine_hands_back():
    row = chain(1)[0]
    as_sqlite = {**row, "at": row["at"].replace(tzinfo=None), "detail": '{"a": ["\\u4e2d", 1.5], "b": 1}'}
    as_beijing = {**row, "at": row["at"].astimezone(timezone(timedelta(hours=8)))}
    assert audit_chain.hash_of(as_sqlite, row["prev_hash"]) == audit_chain.hash_of(as_beijing, row["prev_hash"]) \
        == row["entry_hash"]


def test_an_edit_or_a_gap_is_found_at_its_entry():
    rows = chain(6)
    assert audit_chain.check(rows).intact and audit_chain.check(rows).head == rows[-1]["entry_hash"]
    edited = [dict(r) for r in rows]
    edited[2]["reason"] = "改过"
    assert audit_chain.check(edited).problems == ["第 3 条记录（login）的内容与其哈希不符（被改动）"]
    gap = rows[:3] + rows[4:]
    assert audit_chain.check(gap).problems == ["第 5 条记录的前序哈希与上一条不符（上一条被删除或改动）"]


def test_a_head_typed_from_paper_is_read_as_printed():
    head = chain(2)[-1]["entry_hash"]
    printed = audit_chain.short(head)
    assert len(printed.split()) == 4 and audit_chain.typed_hex(printed) == head[:16]
    assert audit_chain.typed_hex(printed.replace(" ", "-").lower()) == head[:16]
    assert audit_chain.typed_hex("1234") == "" and audit_chain.typed_hex("xyz" * 8) == ""
