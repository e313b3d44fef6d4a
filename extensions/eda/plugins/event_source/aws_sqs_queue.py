"""amazon.aws.aws_sqs_queue (amazon.aws 11.x), with one fix: a DeleteMessageBatch answer with an empty ``Failed`` list is a success.

The SQS API Reference gives DeleteMessageBatch's result both ``Successful`` and ``Failed`` (each marked
required), so SQS answers ``"Failed": []`` when every message was deleted. amazon.aws 11.4.0's source
counts the mere presence of ``Failed`` as a failure; with ``feedback: true`` it then raises
MessageDeletionException after the first message (already deleted), and ansible-rulebook stops. This
wrapper runs amazon.aws's own source (found with ansible-rulebook's collection lookup, the same way
ansible-rulebook finds it) with only that function replaced; drop it once amazon.aws counts failures
by the entries in ``Failed``.
"""

import importlib.util
import logging
import os

from ansible_rulebook.collection import find_collection

DOCUMENTATION = r"""
---
short_description: amazon.aws.aws_sqs_queue with deletions counted by the entries of Failed
description:
  - Receives events from an SQS queue exactly as amazon.aws.aws_sqs_queue (amazon.aws 11.1 or later;
    C(feedback) needs 11.3), whose options it takes unchanged.
  - A DeleteMessageBatch answer is a failure only when its C(Failed) list names a message.
options: {}
"""

EXAMPLES = r"""
- secops.aws_ir.aws_sqs_queue:
    region: us-east-1
    name: aws-ir-findings
    feedback: true
"""


def _upstream():
    location = find_collection("amazon.aws")
    if location is None:
        raise ValueError("amazon.aws (11.1 or later) is not in the collection path: run scripts/decision-environment")
    path = os.path.join(location, "extensions", "eda", "plugins", "event_source", "aws_sqs_queue.py")
    spec = importlib.util.spec_from_file_location("amazon_aws_aws_sqs_queue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def delete_messages(client, queue_url, entries):
    """DeleteMessageBatch; True only when every entry was deleted (each failed entry is logged)."""
    answer = await client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    failed = answer.get("Failed") or []
    for item in failed:
        logging.getLogger().error("Error deleting message with ID %s: %s %s (sender fault: %s)",
                                  item.get("Id"), item.get("Code"), item.get("Message"), item.get("SenderFault"))
    deleted = {item["Id"] for item in answer.get("Successful", [])}
    return not failed and all(entry["Id"] in deleted for entry in entries)


async def main(queue, args):
    upstream = _upstream()
    upstream._delete_messages = delete_messages  # pylint: disable=protected-access
    await upstream.main(queue, args)
