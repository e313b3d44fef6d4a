#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_volatile_capture
version_added: 1.0.0
short_description: Collect volatile data and memory images from live instances through SSM Run Command into S3
description:
  - Collects what disappears first (RFC 3227 order of volatility) from running instances,
    through SSM Run Command, without opening any inbound port; first the triage (network and
    process state), then, with O(memory=true), a full memory image.
  - B(Preflight.) C(DescribeInstanceInformation) for every instance. Only C(PingStatus=Online)
    instances get a command; C(ConnectionLost), C(Inactive) and unmanaged instances are
    reported with the likely cause and do not fail the module, so the rest of the response
    (snapshots) goes on.
  - B(Triage.) The document is chosen from the SSM C(PlatformType) (C(AWS-RunShellScript) for
    Linux and MacOS, C(AWS-RunPowerShellScript) for Windows). The C(standard) profile collects,
    on Linux, the time (UTC), uptime, logged-in users, sockets (C(ss), else C(netstat)),
    neighbour table, routes, interfaces, processes with full command lines, open files
    (C(lsof)), memory information, kernel modules, mounts, recent logins and scheduled jobs
    (root's crontab, C(/etc/crontab), the cron folders, systemd timers); on Windows the
    equivalents (C(Get-NetTCPConnection), C(Get-NetUDPEndpoint), neighbours, routes, addresses,
    C(Win32_Process) with command lines, services, scheduled tasks, logged-on and local users).
    The C(custom) O(triage_profile) runs O(custom_commands) instead, one step per command. Each step's
    tool, exit code and output are kept apart in the evidence (offset, length and SHA-256 of
    its output inside the stdout object); a missing tool gives exit code 127 and the next
    step runs. Every value put into a command (the ticket, a custom command, parameter names)
    is quoted for the target shell, and the commands go to SSM as a list of lines.
  - B(Waiting.) Its own poll loop (C(ListCommandInvocations)) with backoff, not the built-in
    waiter; an invocation that does not exist yet is pending. Each terminal status has its own
    outcome; a wait that runs out reports C(still_running) and never re-sends the command.
    Up to 50 instances per C(SendCommand) (C(MaxErrors=100%), so one failing instance never
    stops the others), more in batches.
  - B(Evidence, not status.) After a terminal status the S3 objects are read back; size and
    SHA-256 come from the bytes in S3 (and S3's own checksum is checked when it stored one),
    never from the API's C(StandardOutputContent). A C(Success) without its S3 object is
    C(evidence_upload_failed).
  - B(Memory.) With O(memory=true), after the triage, each instance runs AVML (Linux) or
    WinPmem (Windows) taken from O(memory_tools), whose SHA-256 the host checks before running
    it. The host gets no AWS credentials from the module, only presigned URLs, a GET for the
    tool and one C(UploadPart) URL per part of a multipart upload the module creates (parts of
    about 1/128 of the instance's memory, from C(DescribeInstanceTypes)), so images larger
    than 5 GiB work. The URLs reach the host through short-lived SecureString parameters under
    C(/secops/aws_ir/) that the command names and the host reads with its own instance role;
    no URL is in the command text, the task output or the result. The image goes from the
    tool's standard output straight to S3, one part in the host's memory at a time; nothing is
    written to the instance's disks on Linux (the tool runs from memory); on Windows the tool
    must be a file and WinPmem extracts its driver, both under C(%TEMP%), as the artifact
    records. The module deletes the parameters when the command ends, completes the upload
    itself, reads the whole image back and compares its size and SHA-256 with what the host
    computed while streaming.
  - Idempotent. A command already sent for this ticket, instance and profile (same
    C(Comment)) that did not fail, cancel or time out is reused, never sent again, and its
    output read back; an image already in the bucket is not acquired again. O(force=true)
    collects again. Check mode sends nothing and lists the planned calls.
  - An instance SSM cannot reach is reported, not fatal; one that is not running (C(DescribeInstances))
    is C(not_running), its volatile data cannot be collected.
author:
  - secops.aws_ir developers (@secops)
options:
  bucket:
    description: The evidence bucket (C(OutputS3BucketName), and where memory images go).
    type: str
    required: true
  key_prefix:
    description:
      - C(OutputS3KeyPrefix). Defaults to C(<ticket>/volatile). Memory images go to
        C(<key_prefix>/memory/<instance id>/memory.lime) (AVML) or C(memory.raw) (WinPmem).
    type: str
  triage_profile:
    description:
      - C(standard) runs the built-in triage of each platform; C(custom) runs O(custom_commands).
    type: str
    choices: [standard, custom]
    default: standard
  custom_commands:
    description:
      - The commands of the C(custom) O(triage_profile), per platform; each command is one step
        (C(custom_1), C(custom_2), ...), run with C(sh -c) on Linux and as a script block on
        Windows. An instance whose platform has no list is reported C(skipped).
      - Refused with O(triage_profile=standard).
    type: dict
    suboptions:
      linux:
        description: Shell commands for Linux (and MacOS) instances.
        type: list
        elements: str
      windows:
        description: PowerShell commands for Windows instances.
        type: list
        elements: str
  force:
    description: Collect again even when this ticket, instance and profile were collected before.
    type: bool
    default: false
  timeout_seconds:
    description:
      - Delivery timeout in seconds (C(TimeoutSeconds) of C(SendCommand)); an instance that
        does not start the command in time ends C(delivery_timed_out).
    type: int
    default: 600
  execution_timeout:
    description:
      - Execution timeout of the triage in seconds (the document's C(executionTimeout)
        parameter); a command that runs longer ends C(execution_timed_out).
    type: int
    default: 900
  memory:
    description: Whether to acquire a memory image of each instance after the triage.
    type: bool
    default: false
  memory_tools:
    description:
      - Where the acquisition tools are, each with the SHA-256 the host must find before it runs
        it. Required (at least one platform) when O(memory=true); an instance whose platform has
        no tool is reported C(skipped).
    type: dict
    suboptions:
      linux:
        description: AVML (a static Linux binary), run as C(avml /dev/stdout).
        type: dict
        suboptions: &tool_location
          s3_uri:
            description: C(s3://bucket/key) of the tool.
            type: str
            required: true
          sha256:
            description: Its SHA-256, 64 hexadecimal digits.
            type: str
            required: true
          version_id:
            description: The S3 version to use (default the current one).
            type: str
      windows:
        description: WinPmem (C(winpmem_mini_x64)), run as C(winpmem.exe -) (raw image on standard output).
        type: dict
        suboptions: *tool_location
  memory_execution_timeout:
    description:
      - Execution timeout of the memory acquisition in seconds; the presigned URLs and the
        parameters live O(timeout_seconds) + this + 600 seconds. The module waits for the
        acquisition as long as SSM lets it run.
    type: int
    default: 7200
  wait:
    description:
      - Whether to wait for the commands to end and verify their output in S3. Without waiting,
        the memory command is sent right after the triage's, and a later run finishes it.
    type: bool
    default: true
  wait_timeout:
    description: How long to wait for the triage, in seconds.
    type: int
    default: 1200
notes:
  - The instance role needs C(s3:PutObject) on the evidence bucket for the command output
    (and C(kms:GenerateDataKey) when the bucket uses SSE-KMS). For memory it needs
    C(ssm:GetParameters) on C(arn:aws:ssm:REGION:ACCOUNT:parameter/secops/aws_ir/*), which
    C(AmazonSSMManagedInstanceCore) already grants; the parameters use the default
    C(alias/aws/ssm) key, which needs no KMS permission. Linux hosts need C(python3) 3.6 or
    later and the AWS CLI; Windows hosts AWS Tools for PowerShell or the AWS CLI.
  - The presigned URLs are signed with the controller's credentials and stop working when they
    expire; temporary credentials must outlive the acquisition (O(timeout_seconds) +
    O(memory_execution_timeout)).
  - The module's own requests on the evidence bucket name the caller's account (STS C(GetCallerIdentity)) as
    C(ExpectedBucketOwner). The command output the SSM Agent uploads, and the presigned memory uploads, cannot;
    they are protected by the preflight's owner check of the same bucket just before (see docs/chain-of-custody.md).
  - The SSM Agent writes every command it runs into its own folder on the instance; the memory
    command holds parameter names, hashes and sizes, never a URL.
extends_documentation_fragment:
  - secops.aws_ir.targets
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Collect volatile data for INC-123456
  secops.aws_ir.ssm_volatile_capture:
    instance_ids:
      - i-0123456789abcdef0
    ticket: INC-123456
    bucket: aws-ir-evidence-123456789012-us-east-1
  register: capture

- name: Triage and a memory image with AVML and WinPmem kept in a tools bucket
  secops.aws_ir.ssm_volatile_capture:
    instance_ids: "{{ targets }}"
    ticket: INC-123456
    bucket: aws-ir-evidence-123456789012-us-east-1
    memory: true
    memory_tools:
      linux:
        s3_uri: s3://ir-tools-123456789012/avml/v0.14.0/avml
        sha256: 4c2d0c3f1e0b2d8f5a8e2a1f0c7b9d6e3a5f4c1b2e8d7a6f5c4b3a2918f7e6d5
      windows:
        s3_uri: s3://ir-tools-123456789012/winpmem/winpmem_mini_x64_rc2.exe
        sha256: 0d9a7c4e5b6f1a2c3d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c

- name: Your own commands, one step each
  secops.aws_ir.ssm_volatile_capture:
    instance_ids: [i-0123456789abcdef0]
    ticket: INC-123456
    bucket: aws-ir-evidence-123456789012-us-east-1
    triage_profile: custom
    custom_commands:
      linux:
        - ls -la /tmp /dev/shm
        - find / -xdev -newer /etc/hostname -type f -mmin -600 2>/dev/null | head -500
"""

RETURN = r"""
instances:
  description: One entry per instance, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - instance_id: i-0123456789abcdef0
      outcome:
        status: captured
        command_id: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
      artifacts:
      - kind: triage_stdout
        s3_uri: s3://ir-evidence-123456789012/INC-1/volatile/b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/i-0123abcd/awsrunShellScript/0.awsrunShellScript/stdout
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      warnings: []
  contains:
    instance_id:
      description: Instance id.
      type: str
      sample: i-0123456789abcdef0
    outcome:
      description: What the stage did for this instance.
      type: dict
      sample:
        status: captured
        command_id: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
        document_name: AWS-RunShellScript
        ping_status: Online
        detail: the command ended Success (ResponseCode 0, Status Success, StatusDetails Success)
      contains:
        status:
          description:
          - The stage's overall status; without memory it is the triage's, one of C(captured), C(evidence_upload_failed),
            C(failed), C(delivery_timed_out), C(execution_timed_out), C(undeliverable), C(terminated), C(cancelled),
            C(still_running), C(planned), C(sent), C(skipped), C(connection_lost), C(inactive), C(unmanaged), or
            C(not_running) (stopped, stopping or pending, so volatile data cannot be collected).
          - With memory, a captured triage whose memory image was not captured gives C(memory_<memory status>)
            (for example C(memory_hash_mismatch)).
          type: str
          sample: captured
        state:
          description: The EC2 state, with C(not_running) only.
          type: str
          sample: stopped
        command_id:
          description: The triage's C(CommandId).
          type: str
          sample: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
        document_name:
          description: C(AWS-RunShellScript) or C(AWS-RunPowerShellScript).
          type: str
          sample: AWS-RunShellScript
        ping_status:
          description: C(PingStatus) from C(DescribeInstanceInformation).
          type: str
          sample: Online
        detail:
          description: The likely cause, C(ResponseCode), C(Status) and C(StatusDetails) of the triage.
          type: str
          sample: the command ended Success (ResponseCode 0, Status Success, StatusDetails Success)
        memory:
          description: With O(memory=true), the memory image's own outcome.
          type: dict
          sample:
            status: captured
            detail: the command ended Success (ResponseCode 0, Status Success, StatusDetails Success)
            command_id: c2b3d4e5-6f7a-4b8c-9d0e-1f2a3b4c5d6e
            document_name: AWS-RunShellScript
            upload_id: VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA
          contains:
            status:
              description: C(captured), C(hash_mismatch), C(failed), C(skipped), C(still_running), C(planned), C(sent) or a command outcome as above.
              type: str
              sample: captured
            detail:
              description: The likely cause, C(ResponseCode), C(Status) and C(StatusDetails).
              type: str
              sample: the command ended Success (ResponseCode 0, Status Success, StatusDetails Success)
            command_id:
              description: The memory command's C(CommandId).
              type: str
              sample: c2b3d4e5-6f7a-4b8c-9d0e-1f2a3b4c5d6e
            document_name:
              description: C(AWS-RunShellScript) or C(AWS-RunPowerShellScript).
              type: str
              sample: AWS-RunShellScript
            upload_id:
              description: The S3 multipart upload of the image.
              type: str
              sample: VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA
    artifacts:
      description: The S3 objects read back.
      type: list
      elements: dict
      sample:
        - kind: triage_stdout
          bucket: ir-evidence-123456789012
          key: INC-1/volatile/b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/i-0123abcd/awsrunShellScript/0.awsrunShellScript/stdout
          s3_uri: s3://ir-evidence-123456789012/INC-1/volatile/b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/i-0123abcd/awsrunShellScript/0.awsrunShellScript/stdout
          version_id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
          size_bytes: 11262
          sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
          s3_checksum:
            algorithm: SHA256
            value: LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=
            type: FULL_OBJECT
            matches: true
          command_id: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
          document_name: AWS-RunShellScript
          truncated_in_api: false
          steps:
          - name: sockets
            tool: ss
            command: ss -tanp
            started_at: '2026-11-29T20:15:04Z'
            rc: 0
            offset: 1536
            length: 2048
            sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
      contains:
        kind:
          description: C(triage_stdout), C(triage_stderr), C(memory_log_stdout), C(memory_log_stderr) or C(memory_image).
          type: str
          sample: triage_stdout
        bucket:
          description: The evidence bucket.
          type: str
          sample: ir-evidence-123456789012
        key:
          description: The object key.
          type: str
          sample: INC-1/volatile/b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/i-0123abcd/awsrunShellScript/0.awsrunShellScript/stdout
        s3_uri:
          description: C(s3://bucket/key).
          type: str
          sample: s3://ir-evidence-123456789012/INC-1/volatile/b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/i-0123abcd/awsrunShellScript/0.awsrunShellScript/stdout
        version_id:
          description: S3 C(VersionId).
          type: str
          sample: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd
        size_bytes:
          description: Size in bytes, read back from S3.
          type: int
          sample: 11262
        sha256:
          description: SHA-256 (hex) of the bytes in S3 (C(GetObject)).
          type: str
          sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        s3_checksum:
          description: The checksum S3 stored, or null when S3 stored none.
          type: dict
          sample: {algorithm: SHA256, matches: true, type: FULL_OBJECT, value: LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=}
          contains:
            algorithm:
              description: C(SHA256), C(SHA1), C(CRC64NVME), C(CRC32C) or C(CRC32).
              type: str
              sample: SHA256
            value:
              description: The checksum, base64, as S3 gives it.
              type: str
              sample: LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=
            type:
              description: C(FULL_OBJECT) or C(COMPOSITE) (multipart).
              type: str
              sample: FULL_OBJECT
            matches:
              description: For a full-object SHA-256 only, whether it equals the SHA-256 of the bytes read.
              type: bool
              sample: true
        command_id:
          description: The command that wrote it.
          type: str
          sample: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
        document_name:
          description: Command output only, the SSM document.
          type: str
          sample: AWS-RunShellScript
        truncated_in_api:
          description: Command output only, whether the object holds more than the 24,000 (stdout) or 8,000
            (stderr) characters C(GetCommandInvocation) returns.
          type: bool
          sample: false
        steps:
          description: C(triage_stdout) only, each step of the triage.
          type: list
          elements: dict
          sample:
            - name: sockets
              tool: ss
              command: ss -tanp
              started_at: '2026-11-29T20:15:04Z'
              rc: 0
              offset: 1536
              length: 2048
              sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
          contains:
            name:
              description: The step.
              type: str
              sample: sockets
            tool:
              description: The tool it ran.
              type: str
              sample: ss
            command:
              description: The command line.
              type: str
              sample: ss -tanp
            started_at:
              description: When it started on the instance.
              type: str
              sample: '2026-11-29T20:15:04Z'
            rc:
              description: Its exit code (127, the tool is missing), or null when it never ended.
              type: int
              sample: 0
            offset:
              description: Where its output starts in the stdout object, in bytes.
              type: int
              sample: 1536
            length:
              description: Its output's length in bytes.
              type: int
              sample: 2048
            sha256:
              description: SHA-256 (hex) of its output.
              type: str
              sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
        format:
          description: C(memory_image) only, C(lime) or C(raw).
          type: str
          sample: lime
        tool:
          description: C(memory_image) only, C(avml) or C(winpmem).
          type: str
          sample: avml
        tool_s3_uri:
          description: C(memory_image) only, where the tool was read from.
          type: str
          sample: s3://ir-tools-123456789012/avml
        sha256_matches_host:
          description: C(memory_image) only, whether size and SHA-256 in S3 equal what the host streamed; null without a host summary.
          type: bool
          sample: true
        host:
          description: C(memory_image) only, the host's own summary.
          type: dict
          sample:
            bytes: 4294967296
            sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            parts: 128
            part_size: 33554432
            tool_sha256: 4f2c9a7d1e6b3a8c5d0e9f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e
            tool_location: memfd
            tool_rc: 0
            written_on_host: []
            started_at: '2026-11-29T20:15:12Z'
            ended_at: '2026-11-29T20:19:40Z'
          contains:
            bytes:
              description: Bytes the tool wrote, as the host counted them.
              type: int
              sample: 4294967296
            sha256:
              description: SHA-256 (hex) the host computed while streaming.
              type: str
              sample: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            parts:
              description: Parts uploaded.
              type: int
              sample: 128
            part_size:
              description: Part size in bytes.
              type: int
              sample: 33554432
            tool_sha256:
              description: SHA-256 (hex) of the tool as the host read it.
              type: str
              sample: 4f2c9a7d1e6b3a8c5d0e9f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e
            tool_location:
              description: C(memfd), C(tmpfs:/dev/shm) or the Windows path.
              type: str
              sample: memfd
            tool_rc:
              description: The tool's exit code.
              type: int
              sample: 0
            written_on_host:
              description: Each file the host had to write.
              type: list
              elements: dict
              sample: []
              contains:
                path:
                  description: The file.
                  type: str
                  sample: C:\\Windows\\Temp\\winpmem_mini_x64_rc2.exe
                bytes:
                  description: Its size.
                  type: int
                  sample: 2845696
                why:
                  description: Why the host had to write it.
                  type: str
                  sample: Windows runs programs only from files
            started_at:
              description: When the host started, UTC, ISO 8601.
              type: str
              sample: '2026-11-29T20:15:12Z'
            ended_at:
              description: When it ended.
              type: str
              sample: '2026-11-29T20:19:40Z'
    warnings:
      description: What a responder must know about this instance.
      type: list
      elements: str
      sample: ["i-0123456789abcdef0: the triage output in S3 is longer than GetCommandInvocation returns"]
actions:
  description:
    - Every mutating call made or planned (C(SendCommand), and for memory C(CreateMultipartUpload), C(PutParameter)
    - (its value recorded as C(<redacted>)), C(DeleteParameters), C(CompleteMultipartUpload) or C(AbortMultipartUpload)).
  returned: always
  type: list
  elements: dict
  sample:
    - time: '2026-11-29T20:15:02.481Z'
      stage: volatile_capture
      service: ssm
      action: SendCommand
      target: i-0123456789abcdef0
      instance_ids:
      - i-0123456789abcdef0
      parameters:
        InstanceIds:
        - i-0123456789abcdef0
        DocumentName: AWS-RunShellScript
        OutputS3BucketName: ir-evidence-123456789012
        OutputS3KeyPrefix: INC-123456/volatile/
        Parameters:
          commands:
          - '...'
          executionTimeout:
          - '600'
      before: null
      after:
        command_id: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
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
      sample: volatile_capture
    service:
      description: The AWS service, as in IAM action names.
      type: str
      sample: ssm
    action:
      description: The AWS API name.
      type: str
      sample: SendCommand
    target:
      description: The resource the call changes (an id, an ARN or an C(s3://) URI).
      type: str
      sample: i-0123456789abcdef0
    instance_ids:
      description: The target instances the call concerns; empty for a shared resource.
      type: list
      elements: str
      sample: [i-0123456789abcdef0]
    parameters:
      description: The parameters sent, each secret replaced by C(<redacted>).
      type: dict
      sample:
        InstanceIds:
        - i-0123456789abcdef0
        DocumentName: AWS-RunShellScript
        OutputS3BucketName: ir-evidence-123456789012
        OutputS3KeyPrefix: INC-123456/volatile/
        Parameters:
          commands:
          - '...'
          executionTimeout:
          - '600'
    before:
      description: What the call changes, as it was before; null when there was nothing.
      type: raw
      sample: null
    after:
      description: What the call changes, as it is after (for a create, what AWS made); null when nothing is left.
      type: raw
      sample: {command_id: b1a2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d}
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
stage:
  description: The workflow stage, C(volatile_capture).
  returned: always
  type: str
  sample: volatile_capture"""


from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.instance_result import combine
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.instance_result import unreachable_outcome
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory import MemoryRun
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory import check_tools_exist
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory import validate_tools
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.memory_capture import capture_memory
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import PLATFORMS
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_documents import document_for
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.ssm_reachability import describe_reachability
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage import validate_profile
from ansible_collections.secops.aws_ir.plugins.module_utils.volatile_capture.triage_run import TriageRun
from ansible_collections.secops.aws_ir.plugins.module_utils.common import STAGE_VOLATILE_CAPTURE
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.bucket import validate_bucket_name
from ansible_collections.secops.aws_ir.plugins.module_utils.evidence.owner import evidence_client
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import instance_states
from ansible_collections.secops.aws_ir.plugins.module_utils.instances import validate_instance_ids
from ansible_collections.secops.aws_ir.plugins.module_utils.modules import AwsIrModule
from ansible_collections.secops.aws_ir.plugins.module_utils.ticket import validate_ticket


def triage(module, clients, ticket, output, targets):
    """{instance_id: {"artifacts", "outcome"}} of the triage of the reachable targets ({instance_id: document name})."""
    params = module.params
    options = {"profile": params["triage_profile"], "custom": params["custom_commands"] or {}, "force": params["force"],
               "timeouts": {"delivery": params["timeout_seconds"], "execution": params["execution_timeout"]},
               "wait": params["wait"], "wait_timeout": params["wait_timeout"]}
    return TriageRun(module.actions, clients, ticket, output, options).run(targets)


def memory(module, clients, ticket, output, tools, platforms):
    """{instance_id: {"artifacts", "outcome"}} of the memory images; platforms: {instance_id: linux, windows or macos}."""
    params = module.params
    timeouts = {"delivery": params["timeout_seconds"], "execution": params["memory_execution_timeout"]}
    run = MemoryRun(module.actions, clients, ticket, output, timeouts, tools)
    return capture_memory(run, module.client("ec2"), platforms, params["force"], params["wait"])


def add_unreachable(module, reach, ids, triaged, imaged):
    """Add to both results the instances SSM cannot reach (DescribeInstances tells which are not running)."""
    states = instance_states(module.client("ec2"), ids) if ids else {}
    for i in ids:
        outcome = unreachable_outcome(reach[i], states.get(i))
        triaged[i] = {"artifacts": [], "outcome": outcome}
        if module.params["memory"]:
            imaged[i] = {"artifacts": [], "outcome": {"status": outcome["status"], "detail": outcome["detail"]}}


def validated(params):
    """(instance ids, ticket, output {"bucket", "prefix"}, memory tools): the options checked before any call."""
    ids = validate_instance_ids(params["instance_ids"])
    ticket = validate_ticket(params["ticket"], pattern=r".+")
    output = {"bucket": validate_bucket_name(params["bucket"]), "prefix": params["key_prefix"] or f"{ticket}/volatile"}
    validate_profile(params["triage_profile"], params["custom_commands"])
    tools = validate_tools(params["memory_tools"]) if params["memory"] else {}
    return ids, ticket, output, tools


def do(module):
    params = module.params
    ids, ticket, output, tools = validated(params)
    # SigV4 for presigned URLs: boto3 still presigns with SigV2 in us-east-1 unless told, and newer Regions refuse SigV2.
    clients = {"ssm": module.client("ssm"), "s3": evidence_client(module, output["bucket"], config={"signature_version": "s3v4"})}
    if tools:
        check_tools_exist(clients["s3"], tools)

    reach = describe_reachability(clients["ssm"], ids)
    targets = {i: document_for(reach[i]["platform_type"]) for i in ids if reach[i]["reachable"]}
    triaged = triage(module, clients, ticket, output, targets)
    # AVML is for Linux only: a MacOS instance runs the shell triage but has no memory tool.
    platforms = {i: "macos" if reach[i]["platform_type"] == "MacOS" else PLATFORMS[d] for i, d in targets.items()}
    imaged = memory(module, clients, ticket, output, tools, platforms) if params["memory"] else {}
    add_unreachable(module, reach, [i for i in ids if i not in targets], triaged, imaged)

    ordered = [combine(i, triaged[i], imaged.get(i)) for i in ids]
    for warning in [w for result in ordered for w in result["warnings"]]:
        module.warn(warning)
    module.exit_json(changed=module.actions.changed, instances=ordered)


def main():
    tool = dict(type="dict", options=dict(s3_uri=dict(type="str", required=True), sha256=dict(type="str", required=True),
                                          version_id=dict(type="str")))
    argument_spec = dict(
        role_arn=dict(type="str"),
        instance_ids=dict(type="list", elements="str", required=True),
        ticket=dict(type="str", required=True),
        bucket=dict(type="str", required=True),
        key_prefix=dict(type="str", no_log=False),
        timeout_seconds=dict(type="int", default=600),
        execution_timeout=dict(type="int", default=900),
        triage_profile=dict(type="str", choices=["standard", "custom"], default="standard"),
        custom_commands=dict(type="dict", options=dict(linux=dict(type="list", elements="str"), windows=dict(type="list", elements="str"))),
        force=dict(type="bool", default=False),
        memory=dict(type="bool", default=False),
        memory_tools=dict(type="dict", options=dict(linux=tool, windows=dict(tool))),
        memory_execution_timeout=dict(type="int", default=7200),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )
    module = AwsIrModule(stage=STAGE_VOLATILE_CAPTURE, argument_spec=argument_spec, supports_check_mode=True)
    module.run(do, "volatile capture stopped; the actions list says which commands were sent")


if __name__ == "__main__":
    main()
