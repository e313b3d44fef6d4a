# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The incident ticket: what a valid one looks like, and its normalised form.

The raw ticket is what the responder typed; it is kept in the manifest. The
normalised ticket is what goes into tag values, S3 keys and SSM comments, so it
holds only characters that every AWS service accepts in all three places.
"""

import re

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError


# Room for the ticket inside an SSM Comment (at most 100 characters) next to our prefix.
TICKET_MAX_LENGTH = 64
DEFAULT_TICKET_PATTERN = r"^[A-Za-z][A-Za-z0-9]*-[0-9]+$"
# Characters AWS allows in tag values across services: letters, digits, white space and _ . : / = + - @
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]*$", re.UNICODE)
_NOT_KEY_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class TicketError(AwsIrError, ValueError):
    """A ticket that cannot be used; the message names the field and the value."""


def validate_ticket(ticket, pattern=DEFAULT_TICKET_PATTERN, field="ticket"):
    """Raise TicketError unless ticket is a usable incident ticket.

    Checks, in order: present and not blank, at most TICKET_MAX_LENGTH
    characters, only characters allowed in AWS tag values, and a full match of
    pattern (a Python regular expression). Returns the ticket unchanged.
    """
    if ticket is None or not str(ticket).strip():
        raise TicketError(f"{field} is required and must not be empty (got {ticket!r})")
    ticket = str(ticket)
    if len(ticket) > TICKET_MAX_LENGTH:
        raise TicketError(f"{field} {ticket!r} is {len(ticket)} characters long; at most {TICKET_MAX_LENGTH} are allowed")
    if not _TAG_VALUE.match(ticket) or ticket != ticket.strip():
        raise TicketError(
            f"{field} {ticket!r} holds characters AWS does not accept in tag values "
            "(allowed: letters, digits, spaces inside, and _ . : / = + - @)"
        )
    try:
        shaped = re.fullmatch(pattern, ticket)
    except re.error as e:
        raise TicketError(f"ticket_pattern {pattern!r} is not a valid regular expression: {e}") from e
    if not shaped:
        example = ", like INC-123456" if pattern == DEFAULT_TICKET_PATTERN else " (ticket_pattern)"
        raise TicketError(f"{field} {ticket!r} does not match the ticket pattern {pattern!r}: give a ticket id shaped like it{example}")
    return ticket


def normalize_ticket(ticket):
    """The ticket with every run of characters other than A-Z a-z 0-9 . _ - replaced by one "-".

    Safe in EC2/S3/SSM tag values, S3 keys and SSM comments. Raises TicketError
    when nothing usable is left.
    """
    normalized = _NOT_KEY_SAFE.sub("-", str(ticket)).strip("-.")
    if not normalized:
        raise TicketError(f"ticket {ticket!r} has no letter or digit to build a key from")
    return normalized
