"""Which EC2 instances are SSM managed nodes, and how DescribeInstanceInformation shows them.

Every running instance is a managed node that is Online, unless its ``lab:ssm`` tag says
``ConnectionLost``, ``Inactive`` or ``unmanaged``. Stopped instances have lost their connection;
terminated ones are not nodes at all.
"""
import hashlib
import time
from dataclasses import dataclass, field

from lab import moto_state

PING_TAG = "lab:ssm"
_PING_VALUES = {"Online", "ConnectionLost", "Inactive"}
_GONE_STATES = {"shutting-down", "terminated"}
_PLATFORMS = {
    "Linux": {"PlatformName": "Amazon Linux", "PlatformVersion": "2023"},
    "Windows": {"PlatformName": "Microsoft Windows Server 2022 Datacenter", "PlatformVersion": "10.0.20348"},
}
AGENT_VERSION = "3.3.1142.0"


@dataclass(frozen=True)
class Node:
    """A managed node as the SSM service sees it."""

    instance_id: str
    ping_status: str
    platform: str
    ip: str
    computer_name: str
    tags: dict = field(default_factory=dict)

    @property
    def online(self):
        return self.ping_status == "Online"


def _computer_name(instance, platform):
    if platform == "Windows":
        return "EC2AMAZ-" + hashlib.sha256(instance.id.encode()).hexdigest()[:7].upper()
    return f"ip-{(instance.private_ip or '10.0.0.1').replace('.', '-')}.ec2.internal"


def _node(instance, tags):
    """The node for one instance, or None when the instance is not a managed node."""
    tagged = tags.get(PING_TAG)
    if instance.state in _GONE_STATES or tagged == "unmanaged":
        return None
    if instance.state in ("stopping", "stopped"):
        ping = "ConnectionLost"
    else:
        ping = tagged if tagged in _PING_VALUES else "Online"
    platform = "Windows" if (instance.platform or "").lower() == "windows" else "Linux"
    return Node(instance.id, ping, platform, instance.private_ip, _computer_name(instance, platform), tags)


def managed_nodes(account, region):
    """Managed nodes by instance id, in launch order."""
    nodes = {}
    for instance in moto_state.ec2_instances(account, region):
        node = _node(instance, moto_state.ec2_tags(account, region, instance.id))
        if node:
            nodes[node.instance_id] = node
    return nodes


def information(node, now=None):
    """The InstanceInformation structure of DescribeInstanceInformation for a node."""
    now = now or time.time()
    # An agent pings every few minutes; a lost or inactive one was last heard of long ago.
    last_ping = now - 30 if node.online else now - 3 * 3600
    return {
        "InstanceId": node.instance_id,
        "PingStatus": node.ping_status,
        "LastPingDateTime": last_ping,
        "AgentVersion": AGENT_VERSION,
        "IsLatestVersion": False,
        "PlatformType": node.platform,
        **_PLATFORMS[node.platform],
        "ResourceType": "EC2Instance",
        "IPAddress": node.ip,
        "ComputerName": node.computer_name,
        "SourceId": node.instance_id,
        "SourceType": "AWS::EC2::Instance",
    }
