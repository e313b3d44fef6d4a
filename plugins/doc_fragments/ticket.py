# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The ticket as the responder gives it, and the pattern it must match (modules that find or start a case)."""

    DOCUMENTATION = r"""
options:
  ticket:
    description:
      - The incident ticket as the responder gave it (the raw ticket), for example V(INC-123456).
      - At most 64 characters, only ASCII letters, digits, spaces inside and C(_), C(.), C(:), C(/), C(=), C(+), C(-), C(@) (the characters AWS
        accepts in tag values; a look-alike such as a Cyrillic letter is refused, naming it), and a full match of
        O(ticket_pattern).
      - Its normalised form, the case key (upper case, each run of other characters than C(A-Z 0-9 . _ -) made C(-)),
        names the case's folder in the evidence bucket; a case key that holds the manifest of another ticket is refused.
    type: str
    required: true
  ticket_pattern:
    description: Python regular expression the whole ticket must match.
    type: str
    default: '^[A-Za-z][A-Za-z0-9]*-[0-9]+$'
"""
