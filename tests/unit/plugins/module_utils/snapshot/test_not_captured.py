from ansible_collections.secops.aws_ir.plugins.module_utils.snapshot import not_captured

# InstanceStorageInfo as DescribeInstanceTypes gives it (m5d.large, c3.large).
M5D_LARGE = {"Disks": [{"Count": 1, "SizeInGB": 75, "Type": "ssd"}], "NvmeSupport": "required", "TotalSizeInGB": 75}
C3_LARGE = {"Disks": [{"Count": 2, "SizeInGB": 16, "Type": "ssd"}], "NvmeSupport": "unsupported", "TotalSizeInGB": 32}


def test_each_instance_store_disk_is_listed_as_not_captured_with_the_reason():
    [disk] = not_captured.instance_store_disks(M5D_LARGE)
    assert (disk["kind"], disk["name"], disk["size_gb"], disk["disk_type"], disk["status"]) == ("instance_store", "ephemeral0", 75, "ssd", "not_captured")
    assert "EBS snapshots cannot capture it" in disk["reason"] and "non-NVMe" not in disk["reason"]


def test_non_nvme_disks_are_counted_one_by_one_and_said_to_depend_on_the_launch_mapping():
    disks = not_captured.instance_store_disks(C3_LARGE)
    assert [d["name"] for d in disks] == ["ephemeral0", "ephemeral1"]
    assert all("attached only if the AMI or the launch mapped it" in d["reason"] for d in disks)


def test_a_type_without_instance_store_has_nothing_not_captured():
    assert not_captured.instance_store_disks(None) == []


def test_storage_is_read_by_instance_type_once_each(fake_client):
    client = fake_client(describe_instance_types={"InstanceTypes": [
        {"InstanceType": "m5d.large", "InstanceStorageInfo": M5D_LARGE}, {"InstanceType": "t3.micro"}]})
    assert not_captured.instance_storage(client, ["t3.micro", "m5d.large", "t3.micro"]) == {"m5d.large": M5D_LARGE, "t3.micro": None}
    assert client.calls == [("describe_instance_types", {"InstanceTypes": ["m5d.large", "t3.micro"]})]


def test_an_excluded_root_volume_is_not_captured_by_choice():
    entry = not_captured.excluded_boot_volume({"device_name": "/dev/xvda", "volume_id": "vol-root"})
    assert (entry["kind"], entry["volume_id"], entry["reason"]) == ("ebs", "vol-root", "root volume excluded by exclude_boot_volume")
