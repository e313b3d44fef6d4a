# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The manifest journal on the controller: what a run is about to record, kept until S3 holds it.

Every manifest version is first written here (stage results, the run record and the body
to upload), then uploaded; the file is removed once S3 accepted the version and kept when
the upload fails, so that a failed write loses nothing. The next run of the ticket uploads
what the journal holds before its first change. Files are ``<dir>/<bucket>/<ticket>/<time>-<run id>.json``.
See docs/chain-of-custody.md (where the folder is, and what it means in an AWX execution environment).
"""

import json
import os

# The default folder follows the XDG base directory convention for a user's data.
_APP = "secops.aws_ir"


def default_dir():
    """$XDG_DATA_HOME/secops.aws_ir/journal, else ~/.local/share/secops.aws_ir/journal."""
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data_home, _APP, "journal")


def _folder(root, bucket, ticket):
    return os.path.join(root or default_dir(), bucket, ticket)


def keep(root, bucket, ticket, entry):
    """Write entry (a dict with "run" holding run_id and ended_at) durably; returns the file's path."""
    folder = _folder(root, bucket, ticket)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    stamp = entry["run"]["ended_at"].replace(":", "")
    path = os.path.join(folder, f"{stamp}-{entry['run']['run_id']}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(entry, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(path + ".tmp", path)
    return path


def pending(root, bucket, ticket):
    """[(path, entry)] of the versions of this ticket not yet uploaded, oldest first."""
    folder = _folder(root, bucket, ticket)
    if not os.path.isdir(folder):
        return []
    found = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                found.append((path, json.load(handle)))
    return found


def discard(path):
    """Remove a journal file once S3 holds its version (a replayed version is rewritten, then removed, under its first name)."""
    if os.path.exists(path):
        os.remove(path)
