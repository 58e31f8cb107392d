"""Canadian postal codes and provinces, North American phone numbers and Canadian bank numbers: what is
accepted, how it is stored, and the message for each mistake."""

import pytest
from django.core.exceptions import ValidationError

from programs import validators as v


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("T5J 0N3", "T5J 0N3"),
        ("t5j0n3", "T5J 0N3"),
        (" t5j-0n3 ", "T5J 0N3"),
        ("K1A 0B1", "K1A 0B1"),  # Ottawa
        ("X0A 0H0", "X0A 0H0"),  # Nunavut
        ("V8W 9E1", "V8W 9E1"),
    ],
)
def test_postal_codes_are_stored_upper_case_with_one_space(typed, stored):
    assert v.postal_code_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", v.POSTAL_CODE_FORMAT),
        ("T5J 0N", v.POSTAL_CODE_FORMAT),
        ("T5J 0N33", v.POSTAL_CODE_FORMAT),
        ("12345", v.POSTAL_CODE_FORMAT),  # a US ZIP code
        ("55J 0N3", v.POSTAL_CODE_FORMAT),
        ("TTJ 0N3", v.POSTAL_CODE_FORMAT),
        ("D5J 0N3", v.POSTAL_CODE_LETTERS),  # D, F, I, O, Q, U are never used, in any letter position
        ("T5F 0N3", v.POSTAL_CODE_LETTERS),
        ("T5J 0I3", v.POSTAL_CODE_LETTERS),
        ("O5J 0N3", v.POSTAL_CODE_LETTERS),
        ("T5Q 0N3", v.POSTAL_CODE_LETTERS),
        ("T5J 0U3", v.POSTAL_CODE_LETTERS),
        ("W5J 0N3", v.POSTAL_CODE_FIRST_LETTER),  # W and Z are used, but never first
        ("Z5J 0N3", v.POSTAL_CODE_FIRST_LETTER),
    ],
)
def test_postal_code_mistakes_each_have_their_message(typed, message):
    with pytest.raises(ValidationError) as raised:
        v.postal_code_normalize(typed)
    assert raised.value.messages == [str(message)]


def test_w_and_z_are_allowed_after_the_first_letter():
    assert v.postal_code_normalize("T5W 0Z3") == "T5W 0Z3"


@pytest.mark.parametrize(
    ("postal_code", "province", "fits"),
    [
        ("T5J 0N3", "AB", True),
        ("V6B 1A1", "AB", False),
        ("V6B 1A1", "BC", True),
        ("M5V 2T6", "ON", True),
        ("H2X 1Y4", "QC", True),
        ("X1A 2L9", "NT", True),
        ("X0A 0H0", "NU", True),
        ("Y1A 1C1", "YT", True),
        ("T5J 0N3", "SK", False),
    ],
)
def test_the_postal_code_must_lie_in_the_province(postal_code, province, fits):
    if fits:
        v.postal_code_in_province(postal_code=postal_code, province=province)
        return
    with pytest.raises(ValidationError) as raised:
        v.postal_code_in_province(postal_code=postal_code, province=province)
    assert raised.value.code == "postal_code_province"
    assert v.PROVINCES[province] in raised.value.messages[0]


def test_the_thirteen_provinces_and_territories():
    assert sorted(v.PROVINCES) == [
        "AB",
        "BC",
        "MB",
        "NB",
        "NL",
        "NS",
        "NT",
        "NU",
        "ON",
        "PE",
        "QC",
        "SK",
        "YT",
    ]
    assert v.province_normalize(" ab ") == "AB"
    for wrong in ["", "XX", "Alberta", "NF", "PQ"]:
        with pytest.raises(ValidationError) as raised:
            v.province_normalize(wrong)
        assert raised.value.messages == [str(v.PROVINCE_UNKNOWN)]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("780-427-3044", ("780-427-3044", "")),
        ("(780) 427-3044", ("780-427-3044", "")),
        ("780.427.3044", ("780-427-3044", "")),
        ("7804273044", ("780-427-3044", "")),
        ("+1 780 427 3044", ("780-427-3044", "")),
        ("1-780-427-3044", ("780-427-3044", "")),
        ("780-427-3044 ext. 123", ("780-427-3044", "123")),
        ("780-427-3044 ext 5", ("780-427-3044", "5")),
        ("780-427-3044 x12", ("780-427-3044", "12")),
        ("780-427-3044 extension 123456", ("780-427-3044", "123456")),
        ("780 427 3044 #7", ("780-427-3044", "7")),
    ],
)
def test_phone_numbers_are_stored_in_one_form(typed, stored):
    assert v.phone_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("427-3044", v.PHONE_FORMAT),  # no area code
        ("780-427-304", v.PHONE_FORMAT),
        ("780-427-30445", v.PHONE_FORMAT),
        ("2-780-427-3044", v.PHONE_FORMAT),
        ("780-CALL-TRA", v.PHONE_FORMAT),
        ("180-427-3044", v.PHONE_NOT_NANP),  # area codes start with 2-9
        ("080-427-3044", v.PHONE_NOT_NANP),
        ("780-127-3044", v.PHONE_NOT_NANP),  # so do exchanges
        ("411-427-3044", v.PHONE_NOT_NANP),  # N11 codes are services, not area codes
        ("780-911-3044", v.PHONE_NOT_NANP),
        ("780-427-3044 ext. 1234567", v.PHONE_EXTENSION),
        ("780-427-3044 ext. abc", v.PHONE_EXTENSION),
    ],
)
def test_phone_mistakes_each_have_their_message(typed, message):
    with pytest.raises(ValidationError) as raised:
        v.phone_normalize(typed)
    assert raised.value.messages == [str(message)]


def test_phone_display_adds_the_extension():
    assert v.phone_display("780-427-3044", "12") == "780-427-3044 ext. 12"
    assert v.phone_display("780-427-3044") == "780-427-3044"


@pytest.mark.parametrize(
    ("normalize", "good", "bad", "message"),
    [
        (
            v.institution_number_normalize,
            {"001": "001", " 0 0 3": "003"},
            ["01", "0001", "abc", ""],
            v.INSTITUTION_NUMBER,
        ),
        (
            v.transit_number_normalize,
            {"12345": "12345", "12-345": "12345"},
            ["1234", "123456", "1234a"],
            v.TRANSIT_NUMBER,
        ),
        (
            v.bank_account_number_normalize,
            {"1234567": "1234567", "123456789012": "123456789012", "1234-567 89": "123456789"},
            ["123456", "1234567890123", "12345678x"],
            v.BANK_ACCOUNT_NUMBER,
        ),
    ],
)
def test_bank_numbers_have_their_lengths(normalize, good, bad, message):
    """Payments Canada: institution 3 digits, branch transit 5 digits, account 7 to 12 digits."""
    for typed, stored in good.items():
        assert normalize(typed) == stored
    for typed in bad:
        with pytest.raises(ValidationError) as raised:
            normalize(typed)
        assert raised.value.messages == [str(message)]
