import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import TicketError
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def test_usual_ticket_is_valid_and_unchanged_by_normalisation():
    assert validate_ticket("INC-123456") == "INC-123456"
    assert normalize_ticket("INC-123456") == "INC-123456"


@pytest.mark.parametrize("ticket", [None, "", "   "])
def test_empty_ticket_is_refused_naming_the_field(ticket):
    with pytest.raises(TicketError, match="ticket is required"):
        validate_ticket(ticket)


def test_ticket_longer_than_64_characters_is_refused_with_its_length():
    ticket = "INC-" + "1" * 61
    with pytest.raises(TicketError, match="65 characters long; at most 64"):
        validate_ticket(ticket, pattern=".+")


@pytest.mark.parametrize("ticket", ["INC#42", "INC-1;rm", "INC-<1>", "INC-1\n", " INC-1"])
def test_characters_aws_refuses_in_tag_values_are_refused(ticket):
    # AWS tag values allow letters, digits, white space and _ . : / = + - @ only.
    with pytest.raises(TicketError, match="tag values"):
        validate_ticket(ticket, pattern=".+")


def test_ticket_not_shaped_like_the_pattern_is_refused_naming_the_pattern():
    with pytest.raises(TicketError, match=r"does not match the ticket pattern '\^\[A-Za-z\]"):
        validate_ticket("123456")


def test_custom_pattern_and_normalisation_of_key_unsafe_characters():
    ticket = validate_ticket("SEC 2024/17", pattern=r"SEC \d{4}/\d+")
    assert normalize_ticket(ticket) == "SEC-2024-17"
    assert normalize_ticket("a@b+c=d:e") == "a-b-c-d-e"


def test_invalid_pattern_is_reported_as_such():
    with pytest.raises(TicketError, match="not a valid regular expression"):
        validate_ticket("INC-1", pattern="(")


def test_ticket_without_any_key_safe_character_cannot_be_normalised():
    with pytest.raises(TicketError):
        normalize_ticket("@@@")
