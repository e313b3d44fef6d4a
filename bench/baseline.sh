#!/usr/bin/env bash
# The seed's hand-run sequence, one AWS CLI call at a time, in the seed's order, for each instance:
# quarantine group, detach, deregister, termination protection, send-command, create-snapshot,
# create-tags. The quarantine group (no inbound rule, no egress) is created once and reused for
# every instance, as a responder would in one VPC; the script is given the names it needs (VPC,
# Auto Scaling group, load balancers), which a responder would first have to look up. Nothing is
# waited for or checked: the command's output and the snapshots are left to finish on their own.
# Arguments: ticket vpc-id asg-name clb-name target-group-arn bucket instance-id...
# Endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, ...).
set -euo pipefail
ticket="$1" vpc="$2" asg="$3" clb="$4" tg="$5" bucket="$6"
shift 6

group="$(aws ec2 create-security-group --group-name "quarantine-${ticket}" --description "no inbound, no outbound" \
    --vpc-id "${vpc}" --query GroupId --output text)"
aws ec2 revoke-security-group-egress --group-id "${group}" --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' > /dev/null
for instance in "$@"; do
    aws ec2 modify-instance-attribute --instance-id "${instance}" --groups "${group}"
    aws autoscaling detach-instances --auto-scaling-group-name "${asg}" --instance-ids "${instance}" --should-decrement-desired-capacity > /dev/null
    aws elb deregister-instances-from-load-balancer --load-balancer-name "${clb}" --instances "${instance}" > /dev/null
    aws elbv2 deregister-targets --target-group-arn "${tg}" --targets "Id=${instance},Port=80"
    aws ec2 modify-instance-attribute --instance-id "${instance}" --disable-api-termination
    aws ssm send-command --instance-ids "${instance}" --document-name AWS-RunShellScript --comment "${ticket}" \
        --parameters 'commands=["ss -tanp","ps auxww"]' --output-s3-bucket-name "${bucket}" > /dev/null
    volumes="$(aws ec2 describe-volumes --filters "Name=attachment.instance-id,Values=${instance}" --query 'Volumes[].VolumeId' --output text)"
    snapshots=""
    for volume in ${volumes}; do
        snapshots+=" $(aws ec2 create-snapshot --volume-id "${volume}" --description "${ticket} ${instance}" --query SnapshotId --output text)"
    done
    # shellcheck disable=SC2086  # one resource id per word
    aws ec2 create-tags --resources "${instance}" ${volumes} ${snapshots} --tags "Key=IncidentTicket,Value=${ticket}"
done
