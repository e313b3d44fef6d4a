"""Classic ELB as AWS does it: one registration per instance and load balancer.

moto keeps two lists per load balancer, the instances registered directly and those its Auto
Scaling group registered, and lists an instance in both twice. AWS keeps one registration:
registering an instance again changes nothing, and DetachInstances removes it however it came.
"""
from lab import moto_state


def _balancers(account, region):
    return moto_state.backend("elb", account, region).load_balancers


def deregister(account, region, names, instance_ids):
    """Remove the instances from these load balancers, registered directly or by their group."""
    balancers = _balancers(account, region)
    for name in names:
        balancer = balancers.get(name)
        if balancer is not None:
            balancer.instance_sparse_ids = [i for i in balancer.instance_sparse_ids if i not in instance_ids]
            balancer.instance_autoscaling_ids = [i for i in balancer.instance_autoscaling_ids if i not in instance_ids]


def after_register_instances(call, account):
    """RegisterInstancesWithLoadBalancer of an instance already registered changes nothing on AWS; moto lists it twice."""
    balancer = _balancers(account, call.region).get(call.params.get("LoadBalancerName", ""))
    if balancer is not None:
        balancer.instance_sparse_ids = [i for i in dict.fromkeys(balancer.instance_sparse_ids) if i not in balancer.instance_autoscaling_ids]
