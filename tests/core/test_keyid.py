"""Key ID shapes and the offline account decoding (AWS-FACTS fact 7)."""

from __future__ import annotations

import pytest

from revoke.core.keyid import decode_account, looks_temporary, parse_key_id
from revoke.errors import BadInput


def test_published_example_decodes_to_its_account() -> None:
    # Aidan Steele (2020) and Tal Be'ery (2023) both use this key: account 609629065308.
    key = parse_key_id("ASIAY34FZKBOKMUTVV7A")
    assert (key.prefix, key.kind, key.account) == ("ASIA", "temporary", "609629065308")
    assert key.temporary and key.is_access_key and not key.long_term


@pytest.mark.parametrize(
    "account", ["000000000000", "000000000001", "123456789012", "609629065308", "999999999999"]
)
@pytest.mark.parametrize("prefix", ["AKIA", "ASIA"])
def test_decoding_inverts_an_independent_encoder(prefix: str, account: str) -> None:
    # moto's generator follows the same published layout; even and odd accounts differ in
    # the 13th character, which is where an off-by-one decoder goes wrong.
    from moto.iam.utils import generate_access_key_id_from_account_id

    for _ in range(20):
        key_id = generate_access_key_id_from_account_id(account, prefix, 20)
        assert parse_key_id(key_id).account == account


def test_old_generation_key_has_no_account_in_it() -> None:
    # AKIAI.../AKIAJ...: the generation bit is 0; nobody can read an account out of those.
    key = parse_key_id("AKIAIOSFODNN7EXAMPLE")
    assert (key.kind, key.account, key.generation) == ("long-term", None, "legacy")


def test_unique_ids_are_21_characters_and_name_their_entity() -> None:
    role = parse_key_id("AROA" + "Y34FZKBOKMUTVV7AB")
    user = parse_key_id("AIDA" + "Y34FZKBOKMUTVV7AB")
    assert (role.kind, user.kind) == ("role", "user")
    assert role.account == "609629065308" and not role.is_access_key


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no access key ID"),
        ("ASIAY34FZKBOKMUTVV7", "19 characters"),
        ("ASIAY34FZKBOKMUTVV7AA", "21 characters"),
        ("ASIAY34FZKBOKMUTVV70", "characters no AWS ID uses: 0"),
        ("asiay34fzkbokmutvv7a", "does not start with a known prefix"),
        ("ASIAY34FZKBOKMUTVv7A", "characters no AWS ID uses: v"),
        ("XXXXY34FZKBOKMUTVV7A", "does not start with a known prefix"),
        ("AROAY34FZKBOKMUTVV7A", "AROA IDs have 21"),
    ],
)
def test_malformed_ids_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        parse_key_id(text)


def test_a_pasted_secret_is_recognised_and_never_echoed() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # the AWS docs example, 40 chars
    with pytest.raises(BadInput) as err:
        parse_key_id(secret)
    assert "secret access key" in err.value.message
    assert secret not in err.value.message + (err.value.hint or "")
    assert secret[:8] not in err.value.message


def test_a_pasted_session_token_is_not_echoed_even_in_part() -> None:
    token = "IQoJb3JpZ2luX2VjEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAe=="
    with pytest.raises(BadInput) as err:
        parse_key_id(token)
    assert token[:12] not in err.value.message


def test_looks_temporary_never_raises() -> None:
    assert looks_temporary("ASIAY34FZKBOKMUTVV7A") and looks_temporary(" asia... ")
    assert not looks_temporary("AKIAIOSFODNN7EXAMPLE") and not looks_temporary(None)


def test_decode_account_of_garbage_is_none() -> None:
    assert decode_account("AKIA") is None
    assert decode_account("AKIA0000000000000000") is None
