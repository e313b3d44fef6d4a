# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tag rules of EC2 (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).

At most 50 tags per resource, keys of 1 to 128 and values of at most 256
characters, and keys beginning with ``aws:`` are reserved for AWS.
"""

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.secops.aws_ir.plugins.module_utils.common import AwsIrError
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
RESERVED_PREFIX = "aws:"
# Containment's record of a resource's original state (containment/original_state.py): it describes only the resource it is on.
ORIGINAL_STATE_PREFIX = "AwsIr:Original"


class TagError(AwsIrError, ValueError):
    """A tag that AWS would refuse; the message names the key and the value."""


def tags_of(resource):
    """The tags of a boto3 resource description (its "Tags" list, possibly absent or null) as a dict."""
    return boto3_tag_list_to_ansible_dict(resource.get("Tags") or [])


def as_stored(tags):
    """tags (dict) as AWS stores them, every key and value as text: 1 as "1", true as "True", null as "None".

    The text is the one amazon.aws's modules send (tagging.ansible_dict_to_boto3_tag_list), so that a value
    given as a number compares equal to what AWS gives back and a re-run tags nothing.
    """
    return {to_text(key): to_text(value) for key, value in (tags or {}).items()}


def validate_tags(tags, field="tags"):
    """Raise TagError for any tag AWS would refuse; return tags as AWS stores them (dict str -> str, see as_stored)."""
    tags = as_stored(tags)
    for key, value in tags.items():
        if not key or len(key) > MAX_KEY_LENGTH:
            raise TagError(f"{field}: key {key!r} must be 1 to {MAX_KEY_LENGTH} characters long")
        if key.lower().startswith(RESERVED_PREFIX):
            raise TagError(f"{field}: key {key!r} begins with the reserved prefix {RESERVED_PREFIX!r}")
        if len(value) > MAX_VALUE_LENGTH:
            raise TagError(f"{field}: value of {key!r} is {len(value)} characters long; at most {MAX_VALUE_LENGTH} are allowed")
    if len(tags) > MAX_TAGS:
        raise TagError(f"{field}: {len(tags)} tags given; a resource holds at most {MAX_TAGS}")
    return tags


def incident_tags(ticket, extra=None):
    """The tags that mark a resource as part of the incident (dict).

    ticket: the normalised ticket. extra: the user's own tags, which never
    replace the ticket tag.
    """
    tags = dict(extra or {})
    tags[TICKET_TAG_KEY] = ticket
    return tags


def copyable(tags):
    """A resource's own tags that another resource may carry: all but AWS's reserved aws: keys and containment's original-state record."""
    return {k: v for k, v in (tags or {}).items() if not k.lower().startswith(RESERVED_PREFIX) and not k.startswith(ORIGINAL_STATE_PREFIX)}


def within_limit(layers, limit=MAX_TAGS):
    """Merge tag dicts, an earlier layer winning on a shared key, keeping at most limit tags.

    layers: dicts in priority order (the incident's own tags first). A later
    layer's keys are taken in sorted order until the limit is reached.
    Returns (tags, dropped): dropped lists the keys left out, in order.
    """
    merged, dropped = {}, []
    for layer in layers:
        for key in sorted(layer):
            if key in merged:
                continue
            if len(merged) < limit:
                merged[key] = layer[key]
            else:
                dropped.append(key)
    return merged, dropped


def has_room(current, wanted, limit=MAX_TAGS):
    """Whether a resource holding current (dict) can take wanted (dict) without going over limit."""
    return len(set(current) | set(wanted)) <= limit


def missing_tags(current, wanted):
    """The entries of wanted that current (dict, as AWS gives it) lacks or holds with another value, in wanted's order.

    amazon.aws's comparison, which compares a value as the text AWS stores.
    """
    differing = compare_aws_tags(current, wanted, purge_tags=False)[0]
    return {k: v for k, v in wanted.items() if k in differing}


def ensure_tags(log, client, current, wanted, instance_ids=None):
    """One CreateTags for every EC2 resource that lacks a wanted tag; never removes a tag.

    current: {resource id: its tags (dict)}. instance_ids: the target instances
    the resources belong to, for the action record. Returns the ids tagged.
    """
    lacking = sorted(r for r, tags in current.items() if missing_tags(tags, wanted))
    if lacking:
        log.call(client, "ec2", "CreateTags", ",".join(lacking), {"Resources": lacking, "Tags": ansible_dict_to_boto3_tag_list(wanted)},
                 instance_ids=instance_ids, after={"tags": wanted})
    return lacking
