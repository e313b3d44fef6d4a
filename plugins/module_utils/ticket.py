# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The incident ticket: what a valid one looks like, its normalised form, and which case it is.

The raw ticket is what the responder typed; it is kept in the manifest. The
normalised ticket (the case key) is what the collection writes into tag values,
S3 keys and SSM comments. One case has one raw ticket: the rules here make sure
that two spellings never share a case key and that a case never takes an
instance another case holds (docs/tickets.md explains each rule).
"""

import re
import string
import unicodedata

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY


# Room for the ticket inside an SSM Comment (at most 100 characters) next to our prefix.
TICKET_MAX_LENGTH = 64
DEFAULT_TICKET_PATTERN = r"^[A-Za-z][A-Za-z0-9]*-[0-9]+$"
# The punctuation AWS accepts in tag values in every service (EC2, S3, SSM): _ . : / = + - @ and the space.
TAG_SAFE_PUNCTUATION = " _.:/=+-@"
# ASCII only: a look-alike (Cyrillic I, full-width digits) would otherwise be a second identity of one ticket.
_ALLOWED = frozenset(string.ascii_letters + string.digits + TAG_SAFE_PUNCTUATION)
_NOT_KEY_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class TicketError(AwsIrError, ValueError):
    """A ticket that cannot be used; the message names the field and the value."""


def describe_character(char):
    """A character as a reader can identify it: 'І' (U+0406 CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I)."""
    return f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')})"


def _refuse_characters(ticket, field):
    """TicketError naming the first character outside ASCII letters, digits and the tag-safe punctuation."""
    for position, char in enumerate(ticket, 1):
        if char not in _ALLOWED:
            raise TicketError(
                f"{field} {ticket!r} holds {describe_character(char)} at position {position}: a ticket holds only ASCII letters, "
                "digits, spaces inside, and _ . : / = + - @ (characters AWS accepts in tag values; look-alikes are refused)"
            )
    if ticket != ticket.strip():
        raise TicketError(f"{field} {ticket!r} begins or ends with a space")


def validate_ticket(ticket, pattern=DEFAULT_TICKET_PATTERN, field="ticket"):
    """Raise TicketError unless ticket is a usable incident ticket.

    Checks, in order: present and not blank, at most TICKET_MAX_LENGTH
    characters, only ASCII letters, digits and TAG_SAFE_PUNCTUATION with no
    space at either end, and a full match of pattern (a Python regular
    expression). Returns the ticket unchanged.
    """
    if ticket is None or not str(ticket).strip():
        raise TicketError(f"{field} is required and must not be empty (got {ticket!r})")
    ticket = str(ticket)
    if len(ticket) > TICKET_MAX_LENGTH:
        raise TicketError(f"{field} {ticket!r} is {len(ticket)} characters long; at most {TICKET_MAX_LENGTH} are allowed")
    _refuse_characters(ticket, field)
    try:
        shaped = re.fullmatch(pattern, ticket)
    except re.error as e:
        raise TicketError(f"ticket_pattern {pattern!r} is not a valid regular expression: {e}") from e
    if not shaped:
        example = ", like INC-123456" if pattern == DEFAULT_TICKET_PATTERN else " (ticket_pattern)"
        raise TicketError(f"{field} {ticket!r} does not match the ticket pattern {pattern!r}: give a ticket id shaped like it{example}")
    return ticket


def normalize_ticket(ticket):
    """The case key: the ticket in upper case, every run of characters other than A-Z 0-9 . _ - replaced by one "-".

    Upper case because ticket systems treat keys without regard to case (inc-1 is INC-1), so one case
    has one key whatever case the responder typed. Safe in EC2/S3/SSM tag values, S3 keys and SSM
    comments; normalising a normalised ticket changes nothing. Raises TicketError when nothing usable is left.
    """
    normalized = _NOT_KEY_SAFE.sub("-", str(ticket).upper()).strip("-.")
    if not normalized:
        raise TicketError(f"ticket {ticket!r} has no letter or digit to build a key from")
    return normalized


def ticket_tag_values(raw):
    """The IncidentTicket values that mark a resource as this ticket's: the raw ticket (as a responder tags it) and the key the collection writes."""
    normalized = normalize_ticket(raw)
    return [raw] if normalized == raw else [raw, normalized]


def refuse_other_case(raw, recorded_raw, where):
    """TicketError when the case key of raw already holds the manifest of another raw ticket (recorded_raw, None when there is none).

    where: the manifest's S3 URI. Two spellings of one key (INC 1, INC/1, inc-1, INC-1) would merge two
    tickets' evidence into one record; the responder chooses which ticket the case is.
    """
    if recorded_raw is not None and recorded_raw != raw:
        raise TicketError(
            f"ticket {raw!r} has the case key {normalize_ticket(raw)!r}, whose manifest {where} is the record of ticket {recorded_raw!r}: "
            f"one case has one ticket; give ticket={recorded_raw!r} to continue that case, or a ticket with another key"
        )


def refuse_other_tickets(tags_by_instance, ticket):
    """TicketError naming each instance already tagged IncidentTicket with another ticket; nothing is changed.

    tags_by_instance: {instance_id: its tags (dict)}. ticket: the raw or the normalised ticket; a tag holding
    either, or any value with the same case key, is this ticket's. An instance belongs to one case: a second
    ticket would overwrite the first one's tag, and that case would no longer find its instance.
    """
    key = normalize_ticket(ticket)
    others = {i: tags[TICKET_TAG_KEY] for i, tags in tags_by_instance.items()
              if TICKET_TAG_KEY in tags and not _same_case(tags[TICKET_TAG_KEY], key)}
    if others:
        held = ", ".join(f"{i} ({TICKET_TAG_KEY}={value!r})" for i, value in others.items())
        raise TicketError(
            f"ticket {ticket!r}: {held} already under another ticket; an instance belongs to one case: "
            f"respond under that ticket, or have its owner remove the tag first"
        )


def _same_case(value, key):
    try:
        return normalize_ticket(value) == key
    except TicketError:
        return False


def split_by_case_tag(tags_by_instance, ticket):
    """({instance_id: tags} already tagged IncidentTicket for this ticket's case, {instance_id: tags} of the others).

    A tag IncidentTicket=IR/2026/017 is the case IR-2026-017's: tagging leaves it as the responder wrote it.
    """
    key = normalize_ticket(ticket)
    holding = {i: tags for i, tags in tags_by_instance.items() if _same_case(tags.get(TICKET_TAG_KEY, ""), key)}
    return holding, {i: tags for i, tags in tags_by_instance.items() if i not in holding}
