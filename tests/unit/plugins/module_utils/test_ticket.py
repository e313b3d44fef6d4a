import re

import pytest

from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import TicketError
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import normalize_ticket
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import refuse_other_case
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import refuse_other_tickets
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import split_by_case_tag
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import ticket_tag_values
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


@pytest.mark.parametrize("ticket, named", [
    ("INC#42", "'#' (U+0023 NUMBER SIGN) at position 4"),
    ("INC-1;rm", "';' (U+003B SEMICOLON) at position 6"),
    ("INC-<1>", "'<' (U+003C LESS-THAN SIGN) at position 5"),
    ("INC-1\n", "'\\n' (U+000A unnamed character) at position 6"),
    ("INC-1\t2", "'\\t' (U+0009 unnamed character) at position 6"),
    # Case 6 of issue 13: a Cyrillic I looked like INC-123456 and normalised to NC-123456.
    ("\u0406NC-123456", "'\u0406' (U+0406 CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I) at position 1"),
    # Full-width digits were letters to \\w and vanished in the key (INC-).
    ("INC-\uff11\uff12\uff13", "'\uff11' (U+FF11 FULLWIDTH DIGIT ONE) at position 5"),
    ("INC-12\u00a03", "'\\xa0' (U+00A0 NO-BREAK SPACE) at position 7"),
    ("INC\u20131", "'\u2013' (U+2013 EN DASH) at position 4"),
    ("\u00c9TE-1", "'\u00c9' (U+00C9 LATIN CAPITAL LETTER E WITH ACUTE) at position 1"),
])
def test_characters_other_than_ascii_letters_digits_and_tag_safe_punctuation_are_refused_naming_the_character(ticket, named):
    # AWS tag values allow letters, digits, white space and _ . : / = + - @ only (EC2, S3 and SSM tag restrictions);
    # of those, only ASCII, so that a look-alike is not a second identity of a ticket.
    with pytest.raises(TicketError, match=re.escape(named)):
        validate_ticket(ticket, pattern=".+")


def test_space_at_either_end_is_refused():
    with pytest.raises(TicketError, match="begins or ends with a space"):
        validate_ticket(" INC-1", pattern=".+")


def test_ticket_not_shaped_like_the_pattern_is_refused_naming_the_pattern():
    with pytest.raises(TicketError, match=r"does not match the ticket pattern '\^\[A-Za-z\]"):
        validate_ticket("123456")


def test_custom_pattern_and_normalisation_of_key_unsafe_characters():
    ticket = validate_ticket("SEC 2024/17", pattern=r"SEC \d{4}/\d+")
    assert normalize_ticket(ticket) == "SEC-2024-17"
    assert normalize_ticket("a@b+c=d:e") == "A-B-C-D-E"


@pytest.mark.parametrize("ticket", ["INC 123456", "INC/123456", "inc-123456", "Inc:123456", "INC-123456"])
def test_spellings_of_one_ticket_share_one_case_key_in_upper_case(ticket):
    assert normalize_ticket(validate_ticket(ticket, pattern=".+")) == "INC-123456"


def test_normalising_a_case_key_changes_nothing():
    for ticket in ("IR/2026/017", "inc-5", "a@b"):
        key = normalize_ticket(ticket)
        assert normalize_ticket(key) == key


def test_a_case_key_that_holds_the_manifest_of_another_raw_ticket_is_refused_naming_both():
    where = "s3://evidence/INC-123456/manifest.json"
    for ticket in ("INC 123456", "INC/123456", "inc-123456"):
        with pytest.raises(TicketError) as refused:
            refuse_other_case(ticket, "INC-123456", where)
        assert str(refused.value) == (
            f"ticket {ticket!r} has the case key 'INC-123456', whose manifest {where} is the record of ticket 'INC-123456': "
            "one case has one ticket; give ticket='INC-123456' to continue that case, or a ticket with another key")
    refuse_other_case("INC-123456", "INC-123456", where)
    refuse_other_case("INC 123456", None, where)


def test_discovery_looks_for_the_raw_ticket_and_the_case_key():
    assert ticket_tag_values("IR/2026/017") == ["IR/2026/017", "IR-2026-017"]
    assert ticket_tag_values("INC-123456") == ["INC-123456"]


def test_an_instance_under_another_ticket_is_refused_naming_it_and_one_of_the_case_is_not():
    tags = {"i-1": {"IncidentTicket": "IR/2026/017", "Name": "web"}, "i-2": {"IncidentTicket": "IR-2026-017"},
            "i-3": {"Name": "db"}, "i-4": {"IncidentTicket": "INC-1"}, "i-5": {"IncidentTicket": "\u0406NC-1"}}
    with pytest.raises(TicketError) as refused:
        refuse_other_tickets(tags, "IR/2026/017")
    assert str(refused.value) == (
        "ticket 'IR/2026/017': i-4 (IncidentTicket='INC-1'), i-5 (IncidentTicket='\u0406NC-1') already under another ticket; "
        "an instance belongs to one case: respond under that ticket, or have its owner remove the tag first")
    same_case = {i: t for i, t in tags.items() if i in ("i-1", "i-2", "i-3")}
    refuse_other_tickets(same_case, "IR/2026/017")
    refuse_other_tickets(same_case, "IR-2026-017")


def test_instances_already_tagged_for_the_case_keep_their_tag():
    tags = {"i-1": {"IncidentTicket": "IR/2026/017"}, "i-2": {"IncidentTicket": "IR-2026-017"}, "i-3": {}}
    holding, lacking = split_by_case_tag(tags, "IR-2026-017")
    assert sorted(holding) == ["i-1", "i-2"] and list(lacking) == ["i-3"]


def test_invalid_pattern_is_reported_as_such():
    with pytest.raises(TicketError, match="not a valid regular expression"):
        validate_ticket("INC-1", pattern="(")


def test_ticket_without_any_key_safe_character_cannot_be_normalised():
    with pytest.raises(TicketError):
        normalize_ticket("@@@")
