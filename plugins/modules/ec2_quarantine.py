#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_quarantine
version_added: 1.0.0
short_description: Contain compromised EC2 instances while they stay online, and release them exactly
description:
  - With O(state=present) (the default), contains one or more instances in the order that keeps evidence.
    Everything is read and validated before the first change, so invalid input changes nothing.
  - B(Ticket.) Each instance is tagged C(IncidentTicket=<ticket>), unless it already holds a tag of this
    ticket's case (same normalised form, for example C(IR/2026/017) for C(IR-2026-017)), which stays as
    it is. An instance tagged with another ticket is refused before any change, naming that ticket
    (an instance belongs to one case).
  - B(Protect.) Termination protection (C(DisableApiTermination=true)), stop protection
    (C(DisableApiStop=true)), shutdown behaviour C(stop) (a C(terminate) behaviour bypasses
    termination protection), and C(DeleteOnTermination=false) on every EBS volume; one
    attribute per C(ModifyInstanceAttribute) call. Spot instances refuse termination
    protection; it is skipped with a warning and the rest applies.
  - B(Credentials) (opt-in, O(credentials)). Replace the instance profile with a forensic one, or deny
    the instance's own role credentials everything but the SSM Agent and the evidence upload.
  - B(Take out of service.) Detaches the instance from its Auto Scaling group (C(DetachInstances),
    decrementing the desired capacity unless that would fall below the group's minimum, in which case
    it warns that a replacement is launched; an instance not C(InService) or C(Standby) is reported and
    left in its group; one not in a group is left alone). AWS deregisters a detached instance from the
    group's load balancers; every other classic ELB listing it and every ELBv2 target group holding it,
    by instance id or by any private IP of its interfaces, is deregistered with the exact id, port and
    (IP targets) Availability Zone registered. Deregistered targets that are C(draining) are reported;
    the module waits for them only with O(wait=true). All of this happens before the first
    security group change.
  - B(Isolate.) Each network interface first gets the C(aws-ir-untrack) group of its VPC (all traffic,
    both directions, IPv4 C(0.0.0.0/0) and IPv6 C(::/0), so that existing TCP and UDP flows become untracked), then
    the quarantine group of its VPC, C(aws-ir-quarantine) (created per VPC, tagged
    C(IncidentResponseRole=quarantine)) or the groups given in O(quarantine_group_ids).
    C(aws-ir-quarantine) has no inbound rule; its only egress is tcp/443 to the security groups of the
    VPC's C(ssm), C(ssmmessages) and C(ec2messages) interface endpoints and to the S3 prefix list where
    the VPC has those endpoints (private DNS on) and an S3 gateway endpoint, else tcp/443 to
    C(0.0.0.0/0), with a warning that HTTPS to the internet stays open. The choice is returned per VPC
    and recorded in the outcome; an existing C(aws-ir-quarantine) whose tcp/443 destinations follow the
    other choice is corrected, with a warning (it applies to every interface in it).
    It fails closed, never leaving an interface in C(aws-ir-untrack). When a group change fails, the
    interfaces already untracked still get their quarantine group; one whose quarantine change fails
    goes back to its groups before, and the error says where each interface is.
  - Flows AWS tracks automatically are not ended by a group change. The module warns, per instance,
    about the NAT gateways, transit gateways, egress-only internet gateways and Gateway Load Balancer
    endpoints its subnets route to, the interface endpoints of its VPCs, the Network Load Balancers it
    is a target of. ICMP, always tracked, is a fact of every instance, so it is listed last in each
    C(tracked_paths) and not warned about per instance (respond.yml's summary says it once). It never reports containment as complete
    (C(outcome.containment_complete) is always false).
  - B(Elastic IPs) (opt-in, O(disassociate_elastic_ips)). Disassociated, kept allocated, recorded.
  - B(Original state.) Before any other change, the state a release restores is written as tags on each
    instance and each of its network interfaces (C(AwsIr:Original*), one tag per field, see
    C(docs/original-state-tags.md) of the collection), once - a resource that carries them is never tagged
    again, so a re-run never records the contained state as the original. An interface already in a
    quarantine group without them, or a resource without room for them (50 tags), is not tagged, with a warning.
  - The state before containment is returned (also when the module fails part-way) so that it can be
    recorded, and restored; when the resources carry original-state tags it is what they record.
  - With O(state=absent), restores the state recorded before containment (O(recorded_state), else, or when that is itself
    a quarantine state, the original-state tags), in this order, Elastic
    IPs, the security groups of every interface, classic ELB and target group registrations (same
    ports and zones), Auto Scaling membership (only with O(restore_auto_scaling_group=true)), the
    instance profile (a deny policy is removed), then the attributes and C(DeleteOnTermination)
    flags, and last deletes the original-state tags. It refuses, before any change, a recorded state that is missing,
    that is a quarantine state with no original-state tags, that belongs to another
    instance, or whose interfaces, groups or addresses cannot be put back.
  - Idempotent in both states; check mode makes no change and returns, per instance, every call it
    would make (C(calls)); diff mode shows each instance's state before and after.
author:
  - secops.aws_ir developers (@secops)
options:
  state:
    description:
      - V(present) contains the instances; V(absent) releases them to O(recorded_state).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Additional tags for the instance. They never replace C(IncidentTicket). Existing tags are never removed.
      - Ignored with O(state=absent) (the tags stay, they record the incident).
      - AWS stores tag keys and values as text; a value of another type is stored as amazon.aws's modules store it
        (V(1) as C(1), V(true) as C(True), V(null) as C(None)), so a re-run finds it and tags nothing.
    type: dict
    default: {}
  detach_from_auto_scaling_group:
    description:
      - Whether to detach the instance from its Auto Scaling group.
    type: bool
    default: true
  deregister_from_load_balancers:
    description:
      - Whether to deregister the instance from classic ELBs and ELBv2 target groups.
    type: bool
    default: true
  wait:
    description:
      - Whether to wait, before isolating, until every deregistered target has stopped draining
        (ELBv2 C(DescribeTargetHealth) state C(unused)). Draining lasts the target group's
        deregistration delay (300 s by default), during which the instance stays reachable.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long to wait for draining to end, in seconds; the module fails (before isolating) when it runs out.
    type: int
    default: 300
  quarantine_group_ids:
    description:
      - Security group ids to use instead of C(aws-ir-quarantine). Each interface gets the given groups
        of its VPC, so give at least one per VPC of the instances' interfaces.
      - Validated before any change; an empty list, a name instead of an id, an unknown group, a group
        listed twice, a group with an inbound rule, a group in a VPC where no target instance has an
        interface, or a VPC without a given group, is an error naming the value.
      - Their egress is used as it is (reported, never changed).
    type: list
    elements: str
  credentials:
    description:
      - Containment of the instance's IAM role credentials (opt-in).
      - V(none) leaves them alone.
      - V(instance_profile) replaces the instance's profile association with O(forensic_instance_profile)
        (C(ReplaceIamInstanceProfileAssociation), or C(AssociateIamInstanceProfile) when it has none).
        New credentials are the forensic role's; credentials already issued, and any copy taken, stay
        valid until they expire (up to several hours). The role is not changed. The forensic role must
        allow the SSM Agent and the evidence upload.
      - V(deny_policy) puts an inline policy C(aws-ir-deny-<instance id>) on the instance's role that denies
        every request signed with credentials issued to this instance (condition
        C(ec2:SourceInstanceARN)), from anywhere and at once, except the SSM Agent's Run Command and
        Session Manager calls and the upload of command output to O(evidence_bucket) under the ticket's
        prefix (C(s3:PutObject), C(s3:PutObjectAcl), C(s3:GetEncryptionConfiguration), and
        C(kms:GenerateDataKey) through S3 only). The role's other instances keep working. The trade-offs are that
        the role, a shared resource, is changed (its inline policies share 10,240 characters); the
        agent's other features (associations, inventory, patching, Parameter Store) are denied; whoever
        holds the credentials can still make the allowed calls.
    type: str
    choices: [none, instance_profile, deny_policy]
    default: none
  forensic_instance_profile:
    description:
      - Name or ARN of the instance profile to associate with O(credentials=instance_profile). It must exist and hold a role.
      - Refused with any other O(credentials).
    type: str
  evidence_bucket:
    description:
      - The evidence bucket, the only S3 destination the deny policy of O(credentials=deny_policy) leaves open.
    type: str
  disassociate_elastic_ips:
    description:
      - Whether to disassociate the Elastic IP addresses of the instances' interfaces (opt-in). They stay
        allocated and are recorded for the release.
      - An instance in a public subnet may get a new auto-assigned public IPv4 address; one that reaches
        SSM only through the internet gateway loses SSM.
    type: bool
    default: false
  recorded_state:
    description:
      - With O(state=absent), the state recorded before containment, per instance id
        (a dict of C(state_before) by instance id, as in the evidence manifest's C(instances.<id>.state_before)).
      - An instance it lacks, or whose state here is itself a quarantine state (an interface in C(aws-ir-quarantine)
        or C(aws-ir-untrack), or a value the original-state tags record otherwise and the instance has now), is
        restored from its original-state tags. One with neither, or whose recorded state is another instance's,
        is refused before any change.
    type: dict
    default: {}
  restore_auto_scaling_group:
    description:
      - With O(state=absent), whether to attach the instances to the Auto Scaling group they were
        detached from (C(AttachInstances), which raises the desired capacity by one and registers them
        with the group's load balancers). A group that no longer exists or is at its C(MaxSize) is an
        error before any change.
    type: bool
    default: false
extends_documentation_fragment:
  - secops.aws_ir.targets
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Security groups do not filter the VPC DNS resolver or the instance metadata service.
  - The SSM Agent of version 3.3.40.0 and later no longer needs C(ec2messages); the endpoint choice
    still asks for all three interface endpoints, so that older agents keep working.
  - A release leaves the C(IncidentTicket) tag and the C(aws-ir-*) groups in place.
  - AWS APIs called. Reads, EC2 C(DescribeInstances), C(DescribeInstanceAttribute),
    C(DescribeIamInstanceProfileAssociations), C(DescribeAddresses), C(DescribeSecurityGroups),
    C(DescribeVpcEndpoints), C(DescribePrefixLists), C(DescribeRouteTables), C(DescribeNetworkInterfaces);
    Auto Scaling C(DescribeAutoScalingInstances), C(DescribeAutoScalingGroups); ELB
    C(DescribeLoadBalancers); ELBv2 C(DescribeTargetGroups), C(DescribeTargetHealth),
    C(DescribeLoadBalancers); IAM C(GetInstanceProfile), C(GetRolePolicy).
  - AWS APIs called. Changes, EC2 C(CreateTags), C(ModifyInstanceAttribute), C(CreateSecurityGroup),
    C(AuthorizeSecurityGroupIngress), C(AuthorizeSecurityGroupEgress), C(RevokeSecurityGroupEgress),
    C(ModifyNetworkInterfaceAttribute), C(DisassociateAddress), C(AssociateAddress), C(DeleteTags),
    C(ReplaceIamInstanceProfileAssociation), C(AssociateIamInstanceProfile),
    C(DisassociateIamInstanceProfile); Auto Scaling C(DetachInstances), C(AttachInstances); ELB
    C(DeregisterInstancesFromLoadBalancer), C(RegisterInstancesWithLoadBalancer); ELBv2
    C(DeregisterTargets), C(RegisterTargets); IAM C(PutRolePolicy), C(DeleteRolePolicy).
"""

EXAMPLES = r"""
- name: Contain an instance for INC-123456
  secops.aws_ir.ec2_quarantine:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
  register: containment

- name: Show what containment would change, without changing it
  secops.aws_ir.ec2_quarantine:
    instance_ids: "{{ preflight.instance_ids }}"
    ticket: INC-123456
  check_mode: true
  diff: true

- name: Contain with our own quarantine groups, deny the stolen role credentials, take the Elastic IP
  secops.aws_ir.ec2_quarantine:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
    quarantine_group_ids:
      - sg-0aaaaaaaaaaaaaaaa   # in the VPC of eth0
      - sg-0bbbbbbbbbbbbbbbb   # in the VPC of eth1
    credentials: deny_policy
    evidence_bucket: aws-ir-evidence-123456789012-us-east-1
    disassociate_elastic_ips: true

- name: Release it to the state recorded in the evidence manifest
  secops.aws_ir.ec2_quarantine:
    state: absent
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
    recorded_state: "{{ {'i-0123456789abcdef0': manifest.instances['i-0123456789abcdef0'].state_before} }}"
    restore_auto_scaling_group: true

- name: Release it when no manifest records it, from the original-state tags on the instance and its interfaces
  secops.aws_ir.ec2_quarantine:
    state: absent
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
"""

RETURN = r"""
instances:
  description: One entry per instance, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - instance_id: i-0123456789abcdef0
      state_before:
        instance_id: i-0123456789abcdef0
        attributes:
          DisableApiTermination: false
          DisableApiStop: false
          InstanceInitiatedShutdownBehavior: stop
      state_after:
        instance_id: i-0123456789abcdef0
        attributes:
          DisableApiTermination: true
          DisableApiStop: true
          InstanceInitiatedShutdownBehavior: stop
      outcome:
        status: isolated
        containment_complete: false
      warnings: []
      calls:
      - action: ModifyNetworkInterfaceAttribute
        target: eni-0123456789abcdef0
        parameters:
          NetworkInterfaceId: eni-0123456789abcdef0
          Groups:
          - sg-0123456789abcdef0
        outcome: ok
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    state_before:
      description: With O(state=present), what containment changes, as it was before; what a release restores.
      type: dict
      returned: when O(state=present)
      sample:
        instance_id: i-0123456789abcdef0
        attributes:
          DisableApiTermination: false
          DisableApiStop: false
          InstanceInitiatedShutdownBehavior: stop
        delete_on_termination:
          /dev/xvda: true
          /dev/sdf: false
        network_interfaces:
        - network_interface_id: eni-0123456789abcdef0
          device_index: 0
          vpc_id: vpc-0a1b2c3d4e5f6a7b8
          subnet_id: subnet-0a1b2c3d4e5f6a7b8
          groups:
          - sg-0fedcba9876543210
        auto_scaling:
          group_name: web-asg
          lifecycle_state: InService
          min_size: 1
          max_size: 4
          desired_capacity: 2
        load_balancers:
        - web-clb
        target_groups:
        - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067
          target_type: instance
          id: i-0123456789abcdef0
          port: 80
          availability_zone: null
          state: healthy
        elastic_ips:
        - allocation_id: eipalloc-0123456789abcdef0
          public_ip: 198.51.100.7
          network_interface_id: eni-0123456789abcdef0
          private_ip_address: 10.20.1.15
        iam_instance_profile:
          arn: arn:aws:iam::123456789012:instance-profile/web-server-profile
        connection_tracking:
          eni-0123456789abcdef0: null
      contains:
        instance_id:
          description: The instance this state belongs to.
          type: str
          sample: i-0123456789abcdef0
        attributes:
          description: From C(DescribeInstanceAttribute).
          type: dict
          sample: {DisableApiStop: false, DisableApiTermination: false, InstanceInitiatedShutdownBehavior: stop}
          contains:
            DisableApiTermination:
              description: Termination protection.
              type: bool
              sample: false
            DisableApiStop:
              description: Stop protection.
              type: bool
              sample: false
            InstanceInitiatedShutdownBehavior:
              description: C(stop) or C(terminate).
              type: str
              sample: stop
        delete_on_termination:
          description: Each EBS device name's C(DeleteOnTermination) flag.
          type: dict
          sample: {/dev/sdf: false, /dev/xvda: true}
        network_interfaces:
          description: Each interface (C(DescribeInstances)).
          type: list
          elements: dict
          sample:
            - network_interface_id: eni-0123456789abcdef0
              device_index: 0
              vpc_id: vpc-0a1b2c3d4e5f6a7b8
              subnet_id: subnet-0a1b2c3d4e5f6a7b8
              groups:
              - sg-0fedcba9876543210
          contains:
            network_interface_id:
              description: The interface.
              type: str
              sample: eni-0123456789abcdef0
            device_index:
              description: Its device index.
              type: int
              sample: 0
            vpc_id:
              description: Its VPC.
              type: str
              sample: vpc-0a1b2c3d4e5f6a7b8
            subnet_id:
              description: Its subnet.
              type: str
              sample: subnet-0a1b2c3d4e5f6a7b8
            groups:
              description: Its security group ids.
              type: list
              elements: str
              sample: [sg-0fedcba9876543210]
        auto_scaling:
          description: The instance's Auto Scaling group, or null.
          type: dict
          sample: {desired_capacity: 2, group_name: web-asg, lifecycle_state: InService, max_size: 4, min_size: 1}
          contains:
            group_name:
              description: The group.
              type: str
              sample: web-asg
            lifecycle_state:
              description: The instance's C(LifecycleState) in it.
              type: str
              sample: InService
            min_size:
              description: The group's C(MinSize).
              type: int
              sample: 1
            max_size:
              description: The group's C(MaxSize).
              type: int
              sample: 4
            desired_capacity:
              description: The group's C(DesiredCapacity).
              type: int
              sample: 2
        load_balancers:
          description: The classic ELB names it is registered with.
          type: list
          elements: str
          sample: [web-clb]
        target_groups:
          description: Each target group registration (C(DescribeTargetHealth); draining and unused targets are not registrations).
          type: list
          elements: dict
          sample:
            - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067
              target_type: instance
              id: i-0123456789abcdef0
              port: 80
              availability_zone: null
              state: healthy
          contains:
            target_group_arn:
              description: The target group.
              type: str
              sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067
            target_type:
              description: C(instance) or C(ip).
              type: str
              sample: instance
            id:
              description: The instance id or private IP registered.
              type: str
              sample: i-0123456789abcdef0
            port:
              description: The port registered.
              type: int
              sample: 80
            availability_zone:
              description: The zone registered, or null.
              type: str
              sample: null
            state:
              description: C(TargetHealth.State).
              type: str
              sample: healthy
        elastic_ips:
          description: Its Elastic IPs (C(DescribeAddresses)).
          type: list
          elements: dict
          sample:
            - allocation_id: eipalloc-0123456789abcdef0
              public_ip: 198.51.100.7
              network_interface_id: eni-0123456789abcdef0
              private_ip_address: 10.20.1.15
          contains:
            allocation_id:
              description: The allocation.
              type: str
              sample: eipalloc-0123456789abcdef0
            public_ip:
              description: The address.
              type: str
              sample: 198.51.100.7
            network_interface_id:
              description: The interface it is associated with.
              type: str
              sample: eni-0123456789abcdef0
            private_ip_address:
              description: The private address it maps to.
              type: str
              sample: 10.20.1.15
        iam_instance_profile:
          description: The associated instance profile, or null (C(DescribeIamInstanceProfileAssociations)).
          type: dict
          sample: {arn: 'arn:aws:iam::123456789012:instance-profile/web-server-profile'}
          contains:
            arn:
              description: The profile's ARN.
              type: str
              sample: arn:aws:iam::123456789012:instance-profile/web-server-profile
        connection_tracking:
          description:
          - Each network interface id's C(ConnectionTrackingConfiguration) (C(TcpEstablishedTimeout), C(UdpStreamTimeout),
            C(UdpTimeout), seconds), null when none was ever set.
          - Isolation sets C(60), C(60) and C(30), the shortest AWS allows (C(ModifyNetworkInterfaceAttribute)
            C(ConnectionTrackingSpecification)); release puts these values back (the documented defaults C(432000), C(180),
            C(30) where none was set). An instance type that is not Nitro based refuses it (C(UnsupportedOperation)),
            reported per interface in RV(instances[].warnings).
          type: dict
          sample: {eni-0123456789abcdef0: null}
    state_after:
      description: The keys of RV(instances[].state_before), after the change (planned in check mode), and with
        O(credentials=deny_policy) C(deny_policy).
      type: dict
      sample:
        instance_id: i-0123456789abcdef0
        attributes:
          DisableApiTermination: true
          DisableApiStop: true
          InstanceInitiatedShutdownBehavior: stop
        delete_on_termination:
          /dev/xvda: false
          /dev/sdf: false
        network_interfaces:
        - network_interface_id: eni-0123456789abcdef0
          device_index: 0
          vpc_id: vpc-0a1b2c3d4e5f6a7b8
          subnet_id: subnet-0a1b2c3d4e5f6a7b8
          groups:
          - sg-0123456789abcdef0
        auto_scaling: null
        load_balancers: []
        target_groups: []
        elastic_ips: []
        iam_instance_profile:
          arn: arn:aws:iam::123456789012:instance-profile/web-server-profile
        connection_tracking:
          eni-0123456789abcdef0:
            TcpEstablishedTimeout: 60
            UdpStreamTimeout: 60
            UdpTimeout: 30
        deny_policy:
          role_name: web-server-role
          policy_name: aws-ir-deny-i-0123456789abcdef0
      contains:
        deny_policy:
          description: With O(credentials=deny_policy), the inline policy put on the instance's role.
          type: dict
          sample: {policy_name: aws-ir-deny-i-0123456789abcdef0, role_name: web-server-role}
          contains:
            role_name:
              description: The role.
              type: str
              sample: web-server-role
            policy_name:
              description: The inline policy.
              type: str
              sample: aws-ir-deny-i-0123456789abcdef0
    outcome:
      description: What the module did for this instance.
      type: dict
      sample:
        status: isolated
        notes:
        - termination and stop protection on; shutdown behaviour stop
        containment_complete: false
        tracked_paths:
        - NAT gateway nat-0a1b2c3d4e5f6a7b8 (route 0.0.0.0/0 of subnet-0a1b2c3d4e5f6a7b8)
        - ICMP (always tracked)
        egress:
          vpc-0a1b2c3d4e5f6a7b8:
            mode: vpc_endpoints
            destinations: security group sg-0789abcdef0123456, prefix list pl-63a5400a
            reason: interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway endpoint
        draining:
        - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067
          id: i-0123456789abcdef0
          port: 80
        group_names:
          sg-0fedcba9876543210: web-sg
          sg-0aaaabbbbccccdddd: aws-ir-untrack
          sg-0123456789abcdef0: aws-ir-quarantine
        state_after: (as RV(instances[].state_after))
      contains:
        status:
          description: C(isolated) (O(state=present)), C(released) or C(unchanged) (O(state=absent); nothing to put back),
            or C(planned) (check mode).
          type: str
          sample: isolated
        notes:
          description: What each step did, one sentence each.
          type: list
          elements: str
          sample: [termination and stop protection on; shutdown behaviour stop]
        containment_complete:
          description: O(state=present) only. Always false, since a group swap does not end the flows of RV(instances[].outcome.tracked_paths).
          type: bool
          sample: false
        tracked_paths:
          description: O(state=present) only. The paths whose flows stay tracked, as sentences, C(ICMP (always tracked)) last.
          type: list
          elements: str
          sample: [NAT gateway nat-0a1b2c3d4e5f6a7b8 (route 0.0.0.0/0 of subnet-0a1b2c3d4e5f6a7b8), ICMP (always tracked)]
        egress:
          description: O(state=present) only. Per VPC id, the quarantine group's egress.
          type: dict
          sample:
            vpc-0a1b2c3d4e5f6a7b8:
              mode: vpc_endpoints
              destinations: security group sg-0789abcdef0123456, prefix list pl-63a5400a
              reason: interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway endpoint
          contains:
            mode:
              description: C(vpc_endpoints), C(https_anywhere) or C(user_groups).
              type: str
              sample: vpc_endpoints
            destinations:
              description: The tcp/443 destinations, as text.
              type: str
              sample: security group sg-0789abcdef0123456, prefix list pl-63a5400a
            reason:
              description: Why this mode.
              type: str
              sample: interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway endpoint
        draining:
          description: O(state=present) only. The target group registrations still draining.
          type: list
          elements: dict
          sample:
            - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067
              id: i-0123456789abcdef0
              port: 80
          contains:
            target_group_arn:
              description: The target group.
              type: str
              sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067
            id:
              description: The target id.
              type: str
              sample: i-0123456789abcdef0
            port:
              description: The port.
              type: int
              sample: 80
        group_names:
          description: The name of every security group the interfaces had before and have after, by id.
          type: dict
          sample: {sg-0123456789abcdef0: aws-ir-quarantine, sg-0aaaabbbbccccdddd: aws-ir-untrack, sg-0fedcba9876543210: web-sg}
        restored_from:
          description: O(state=absent) only. V(evidence manifest) or V(original-state tags).
          type: str
          sample: evidence manifest
        recorded_state:
          description: O(state=absent) from V(original-state tags) only. The state restored (the shape of RV(instances[].state_before)).
          type: dict
          sample:
            instance_id: i-0123456789abcdef0
            attributes:
              DisableApiTermination: false
              DisableApiStop: false
              InstanceInitiatedShutdownBehavior: stop
        not_restored:
          description: O(state=absent) only. What the release left as it is, one sentence each.
          type: list
          elements: str
          sample: [not back in its Auto Scaling group web-asg (restore_auto_scaling_group is false)]
        state_after:
          description: The instance's RV(instances[].state_after), so that the evidence manifest, which keeps outcomes, has it.
          type: dict
          sample:
            instance_id: i-0123456789abcdef0
            attributes:
              DisableApiTermination: true
              DisableApiStop: true
              InstanceInitiatedShutdownBehavior: stop
    warnings:
      description: What a responder must know about this instance (a replacement launched, HTTPS left open, flows still tracked).
      type: list
      elements: str
      sample: ['ICMP is always tracked: the security-group swap does not end ICMP flows of the contained instances']
    calls:
      description: The mutating calls made (or planned in check mode) for this instance, in order; calls on shared
        resources (the quarantine groups) are only in RV(actions).
      type: list
      elements: dict
      sample:
        - action: ModifyNetworkInterfaceAttribute
          target: eni-0123456789abcdef0
          parameters:
            NetworkInterfaceId: eni-0123456789abcdef0
            Groups:
            - sg-0123456789abcdef0
          outcome: ok
      contains:
        action:
          description: The AWS API name.
          type: str
          sample: ModifyNetworkInterfaceAttribute
        target:
          description: The instance, network interface, load balancer, target group, role or allocation id.
          type: str
          sample: eni-0123456789abcdef0
        parameters:
          description: The parameters sent, secrets redacted.
          type: dict
          sample: {Groups: [sg-0123456789abcdef0], NetworkInterfaceId: eni-0123456789abcdef0}
        outcome:
          description: C(ok), C(planned) or C(error).
          type: str
          sample: ok
security_groups:
  description: With O(state=present), the groups used in each VPC, keyed by VPC id.
  returned: when O(state=present)
  type: dict
  sample:
    vpc-0a1b2c3d4e5f6a7b8:
      quarantine_group_ids:
      - sg-0123456789abcdef0
      quarantine_group_id: sg-0123456789abcdef0
      untrack_group_id: sg-0aaaabbbbccccdddd
      created:
      - aws-ir-untrack
      - aws-ir-quarantine
      egress:
        mode: vpc_endpoints
        destinations: security group sg-0789abcdef0123456, prefix list pl-63a5400a
        reason: interface endpoints for ssm, ssmmessages and ec2messages (private DNS) and an S3 gateway endpoint
  contains:
    quarantine_group_ids:
      description: The quarantine groups of the VPC (C(aws-ir-quarantine), or those of O(quarantine_group_ids)).
      type: list
      elements: str
      sample: [sg-0123456789abcdef0]
    quarantine_group_id:
      description: The first of them.
      type: str
      sample: sg-0123456789abcdef0
    untrack_group_id:
      description: C(aws-ir-untrack) of the VPC.
      type: str
      sample: sg-0aaaabbbbccccdddd
    created:
      description: The names of the groups this run created.
      type: list
      elements: str
      sample: [aws-ir-untrack, aws-ir-quarantine]
    egress:
      description: The quarantine group's egress (the keys of RV(instances[].outcome.egress), per VPC there).
      type: dict
      sample:
        mode: https_anywhere
        destinations: 0.0.0.0/0
        reason: no available interface endpoint for ssm, ssmmessages, ec2messages; no available S3 gateway endpoint
actions:
  description:
    - Every mutating AWS call made (or planned in check mode), in order.
    - An error AWS may still have acted on (a 5xx answer, or none) also has C(may_have_changed=true); such a call is not repeated.
    - Also returned when the module fails.
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: containment
      service: ec2
      action: ModifyNetworkInterfaceAttribute
      target: eni-0123456789abcdef0
      instance_ids:
      - i-0123456789abcdef0
      parameters:
        NetworkInterfaceId: eni-0123456789abcdef0
        Groups:
        - sg-0123456789abcdef0
      before:
        groups:
        - sg-0aaaabbbbccccdddd
      after:
        groups:
        - sg-0123456789abcdef0
      outcome: ok
      error_code: null
      request_id: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
  contains:
    time:
      description: When the call was made (or planned), UTC, ISO 8601 with milliseconds.
      type: str
      sample: "2026-11-29T20:15:02.481Z"
    stage:
      description: The workflow stage that made the call.
      type: str
      sample: containment
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: ec2
    action:
      description: The AWS API name.
      type: str
      sample: ModifyNetworkInterfaceAttribute
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: eni-0123456789abcdef0
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample: {Groups: [sg-0123456789abcdef0], NetworkInterfaceId: eni-0123456789abcdef0}
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: {groups: [sg-0aaaabbbbccccdddd]}
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {groups: [sg-0123456789abcdef0]}
    outcome:
      description: C(ok), C(planned) (check mode) or C(error).
      type: str
      sample: ok
    error_code:
      description: The AWS error code of a refused call (the botocore exception's name when AWS did not answer), else null.
      type: str
      sample: null
    request_id:
      description: The AWS request id of the answer; null in check mode.
      type: str
      sample: 8c7a3e52-4f0b-4d7e-9b3a-1e2f3a4b5c6d
    may_have_changed:
      description: Present, V(true), on an error AWS may still have acted on (a 5xx answer, or no answer); the call was not repeated.
      type: bool
      returned: when AWS answered a change with a server error or did not answer
      sample: true
stage:
  description: The workflow stage, C(containment) (O(state=present)) or C(release) (O(state=absent)).
  returned: always
  type: str
  sample: containment"""


from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_CONTAINMENT
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_RELEASE
from ansible_collections.secops.aws_ir.plugins.module_utils.common import TICKET_TAG_KEY
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.contain import Containment
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.credentials import MODES
from ansible_collections.secops.aws_ir.plugins.module_utils.containment import connection_tracking
from ansible_collections.secops.aws_ir.plugins.module_utils.containment.release import Release
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import describe_instances
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import refuse_gone
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import ensure_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import incident_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import tags_of
from ansible_collections.secops.aws_ir.plugins.module_utils.tags import validate_tags
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import refuse_other_tickets
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import split_by_case_tag
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket

_CALL_KEYS = ("action", "target", "parameters", "outcome")


def calls_for(log, instance_id):
    """The instance's own mutating calls, in order (RETURN instances[].calls)."""
    return [{k: r[k] for k in _CALL_KEYS} for r in log.records if instance_id in r["instance_ids"]]


def finish(module, run, ids, entries, extra):
    """exit_json with the per-instance entries, every warning once, and the diff."""
    for warning in dict.fromkeys(w for entry in entries for w in entry["warnings"]):
        module.warn(warning)
    result = dict(changed=module.actions.changed, instances=entries, **extra)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": {"instances": {i: run.before[i] for i in ids}}, "after": {"instances": {i: run.after[i] for i in ids}}}
    module.exit_json(**result)


def contain(module, clients, instances, ticket):
    log = module.actions
    ids = list(instances)
    run = Containment(log, clients, instances, dict(module.params, ticket=ticket), module.region)
    module.partial["instances"] = [{"instance_id": i, "state_before": run.state_before[i]} for i in ids]
    run.record_original_state()
    holding, lacking = split_by_case_tag({i: tags_of(inst) for i, inst in instances.items()}, ticket)
    wanted = incident_tags(ticket, validate_tags(module.params["tags"]))
    ensure_tags(log, clients["ec2"], lacking, wanted, instance_ids=list(lacking))
    # The ticket tag an instance already holds for this case (IR/2026/017 for IR-2026-017) stays as it is.
    ensure_tags(log, clients["ec2"], holding, {k: v for k, v in wanted.items() if k != TICKET_TAG_KEY}, instance_ids=list(holding))
    run.protect()
    run.contain_credentials()
    run.take_out_of_service()
    run.isolate()
    run.take_elastic_ips()
    entries = [{"instance_id": i, "state_before": run.state_before[i], "state_after": run.after[i], "outcome": run.outcome(i),
                "warnings": run.warnings_of(i), "calls": calls_for(log, i)} for i in ids]
    finish(module, run, ids, entries, {"security_groups": run.groups})


def release(module, clients, instances):
    log = module.actions
    ids = list(instances)
    run = Release(log, clients, instances, module.params)
    run.elastic_ips()
    run.security_groups()
    connection_tracking.restore_all(log, clients["ec2"], run.recorded, instances, run.before, run.after)
    run.registrations()
    run.auto_scaling()
    run.credentials()
    run.protections()
    run.forget_original_state()
    entries = [{"instance_id": i, "state_after": run.after[i], "outcome": run.outcome(i), "warnings": run.warnings[i],
                "calls": calls_for(log, i)} for i in ids]
    finish(module, run, ids, entries, {})


def do(module):
    params = module.params
    ids = validate_instance_ids(params["instance_ids"])
    ticket = validate_ticket(params["ticket"], pattern=r".+")
    clients = {name: module.client(name) for name in ("ec2", "autoscaling", "elb", "elbv2", "iam")}
    instances = describe_instances(clients["ec2"], ids)
    refuse_gone(instances)
    refuse_other_tickets({i: tags_of(inst) for i, inst in instances.items()}, ticket)
    if params["state"] == "absent":
        release(module, clients, instances)
    else:
        contain(module, clients, instances, ticket)


def main():
    argument_spec = dict(
        role_arn=dict(type="str"),
        instance_ids=dict(type="list", elements="str", required=True),
        ticket=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        detach_from_auto_scaling_group=dict(type="bool", default=True),
        deregister_from_load_balancers=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        quarantine_group_ids=dict(type="list", elements="str"),
        credentials=dict(type="str", choices=list(MODES), default="none"),
        forensic_instance_profile=dict(type="str"),
        evidence_bucket=dict(type="str"),
        disassociate_elastic_ips=dict(type="bool", default=False),
        recorded_state=dict(type="dict", default={}),
        restore_auto_scaling_group=dict(type="bool", default=False),
    )
    module = AwsIrModule(
        stage=STAGE_CONTAINMENT, argument_spec=argument_spec, supports_check_mode=True,
        required_if=[("credentials", "instance_profile", ["forensic_instance_profile"]),
                     ("credentials", "deny_policy", ["evidence_bucket"])],
    )
    if module.params["state"] == "absent":
        module.set_stage(STAGE_RELEASE)
        module.run(do, "release stopped; the actions list says what was restored before the error")
    else:
        module.run(do, "containment stopped; the actions list says what was changed before the error")


if __name__ == "__main__":
    main()
