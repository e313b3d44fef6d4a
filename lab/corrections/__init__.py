"""Where moto departs from documented AWS behaviour that the collection relies on, the lab answers as AWS does.

A correction sees a request before moto and either returns None (moto answers) or a complete
(status, headers, body) answer; an "after" hook runs once moto has answered successfully. Every
correction is listed, with the AWS documentation it follows, in lab/README.md.
"""
from lab.corrections import autoscaling, connection_tracking, ebs, ec2, elb, elbv2, kms, object_lock_copy, s3, snapshot_lock
from lab.moto_state import account_for

BEFORE = {
    ("ec2", "ModifyInstanceAttribute"): ec2.modify_instance_attribute,
    ("ec2", "ModifyNetworkInterfaceAttribute"): connection_tracking.or_else(ec2.modify_network_interface_attribute),
    ("ec2", "CreateTags"): ec2.check_tags,
    ("ec2", "CreateVolume"): ebs.with_shared_snapshots,
    ("ec2", "CreateSnapshot"): ec2.check_tags,
    ("ec2", "CreateSnapshots"): ebs.create_snapshots,
    ("ec2", "CopySnapshot"): ebs.with_shared_snapshots,
    ("ec2", "DescribeSnapshots"): ebs.with_shared_snapshots,
    ("ec2", "ModifySnapshotAttribute"): ebs.modify_snapshot_attribute,
    ("ec2", "LockSnapshot"): snapshot_lock.lock_snapshot,
    ("ec2", "UnlockSnapshot"): snapshot_lock.unlock_snapshot,
    ("ec2", "DescribeLockedSnapshots"): snapshot_lock.describe_locked_snapshots,
    ("ec2", "DeleteSnapshot"): snapshot_lock.delete_snapshot,
    ("kms", "DescribeKey"): kms.describe_key,
    ("kms", "Sign"): kms.sign,
    ("kms", "Verify"): kms.verify,
    ("autoscaling", "DetachInstances"): autoscaling.detach_instances,
    ("autoscaling", "DescribeAutoScalingInstances"): autoscaling.apply_lifecycle_tags,
    ("autoscaling", "DescribeAutoScalingGroups"): autoscaling.apply_lifecycle_tags,
    ("elbv2", "DeregisterTargets"): elbv2.deregister_targets,
    ("elbv2", "DescribeTargetHealth"): elbv2.describe_target_health,
    ("s3", "GetObjectRetention"): s3.get_object_retention,
    ("s3", "GetObjectLockConfiguration"): s3.get_object_lock_configuration,
}
AFTER = {
    ("ec2", "ModifyInstanceAttribute"): ec2.after_modify_instance_attribute,
    ("ec2", "ModifyNetworkInterfaceAttribute"): ec2.after_modify_network_interface_attribute,
    ("autoscaling", "DetachInstances"): autoscaling.after_detach_instances,
    ("elbv2", "RegisterTargets"): elbv2.after_register_targets,
    ("elb", "RegisterInstancesWithLoadBalancer"): elb.after_register_instances,
}


def before(call):
    """A corrected answer for this request, or None to let moto answer."""
    if call.service == "s3":
        refused = s3.bucket_owner_condition(call)
        if refused:
            return refused
    correction = BEFORE.get((call.service, call.action))
    return correction(call, account_for(call.access_key)) if correction else None


def after(call, status):
    """Apply what AWS does on top of moto's successful answer."""
    hook = AFTER.get((call.service, call.action))
    if hook and status < 300:
        hook(call, account_for(call.access_key))


def atomic(call):
    """What to hold while moto answers call, so that it is one step as on AWS (see s3.atomic)."""
    return s3.atomic(call)


def install():
    """Fix, once per lab process, the moto model properties that every answer reads (where no single call can be corrected)."""
    ec2.install()
    connection_tracking.install()
    s3.install()
    object_lock_copy.install()
