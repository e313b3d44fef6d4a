# -*- coding: utf-8 -*-

# Copyright: Contributors to the secops.aws_ir project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Memory acquisition on a Windows instance (PowerShell 5.1+), the counterpart of memory_host_linux.

It reads the upload plan from the SecureString parameters with the instance role
(AWS Tools for PowerShell, preinstalled on AWS Windows AMIs, else the AWS CLI),
downloads WinPmem through its presigned GET, checks its SHA-256, and streams the
raw image WinPmem writes to its standard output (argument "-") to S3 in parts
through presigned UploadPart URLs, one part in memory at a time. Windows runs a
program only from a file, so the tool is written to a new folder under %TEMP%
and deleted afterwards, and WinPmem extracts its driver into %TEMP% to load it:
the summary's written_on_host records both. The program reads its inputs from
the variables memory.windows_commands assigns before it ($ir_region,
$ir_parameters, $ir_part_size, $ir_tool_sha256, $ir_tool_args).
"""

PROGRAM = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
function Get-IrUtc { (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }
function Hide-IrUrl([string]$text) { $text -replace 'https?://\S+', '<url>' }
function Get-IrHex([byte[]]$bytes) { -join ($bytes | ForEach-Object { $_.ToString('x2') }) }
function Invoke-IrRetry([string]$what, [scriptblock]$action) {
  for ($attempt = 1; ; $attempt++) {
    try { & $action | Out-Null; return } catch {
      if ($attempt -ge 4) { throw ('network_error|' + $what + ': ' + (Hide-IrUrl $_.Exception.Message)) }
      Start-Sleep -Seconds ([Math]::Pow(2, $attempt - 1))
    }
  }
}
function Send-IrPart([string]$url, [byte[]]$buffer, [int]$count) {
  $request = [Net.HttpWebRequest]::Create($url)
  $request.Method = 'PUT'
  $request.ContentType = 'application/octet-stream'
  $request.ContentLength = $count
  $request.AllowWriteStreamBuffering = $false
  $request.Timeout = 300000
  $request.ReadWriteTimeout = 300000
  $body = $request.GetRequestStream()
  try { $body.Write($buffer, 0, $count) } finally { $body.Close() }
  $request.GetResponse().Close()
}
function Read-IrPlan {
  $values = @{}
  for ($i = 0; $i -lt $ir_parameters.Count; $i += 10) {
    $batch = @($ir_parameters[$i..([Math]::Min($i + 9, $ir_parameters.Count - 1))])
    if (Get-Command Get-SSMParameterValue -ErrorAction SilentlyContinue) {
      $answer = Get-SSMParameterValue -Name $batch -WithDecryption $true -Region $ir_region
    } elseif (Get-Command aws -ErrorAction SilentlyContinue) {
      $text = & aws ssm get-parameters --region $ir_region --with-decryption --output json --names $batch
      if ($LASTEXITCODE -ne 0) { throw "plan_unreadable|aws ssm get-parameters exited $LASTEXITCODE" }
      $answer = ($text -join "`n") | ConvertFrom-Json
    } else {
      throw 'no_aws_cli|neither AWS Tools for PowerShell (Get-SSMParameterValue) nor the AWS CLI is installed'
    }
    if (@($answer.InvalidParameters).Count -gt 0) { throw ('plan_unreadable|parameters not found: ' + (@($answer.InvalidParameters) -join ', ')) }
    foreach ($parameter in $answer.Parameters) { $values[$parameter.Name] = $parameter.Value }
  }
  $zipped = New-Object IO.MemoryStream(, [Convert]::FromBase64String((@($ir_parameters | ForEach-Object { $values[$_] }) -join '')))
  $reader = New-Object IO.StreamReader((New-Object IO.Compression.GZipStream($zipped, [IO.Compression.CompressionMode]::Decompress)))
  return , ($reader.ReadToEnd() -split "`n")
}
$summary = [ordered]@{ status = 'failed'; part_size = $ir_part_size; written_on_host = @(); started_at = (Get-IrUtc)
  powershell = $PSVersionTable.PSVersion.ToString() }
$folder = $null
try {
  $urls = Read-IrPlan
  $partUrls = $urls[1..($urls.Count - 1)]
  # Assigned inside the block: a byte array sent down the pipeline would be unrolled byte by byte.
  Invoke-IrRetry 'downloading the tool' { $script:data = (New-Object Net.WebClient).DownloadData($urls[0]) }
  $summary.tool_sha256 = Get-IrHex ([Security.Cryptography.SHA256]::Create().ComputeHash($data))
  if ($summary.tool_sha256 -ne $ir_tool_sha256.ToLower()) {
    throw ('tool_sha256_mismatch|the tool downloaded has SHA-256 ' + $summary.tool_sha256 + ', not ' + $ir_tool_sha256 + ' as given; it was not run')
  }
  $folder = Join-Path $env:TEMP ('aws-ir-' + [guid]::NewGuid().ToString('N'))
  New-Item -ItemType Directory -Path $folder | Out-Null
  $exe = Join-Path $folder 'winpmem.exe'
  [IO.File]::WriteAllBytes($exe, $data)
  $summary.tool_location = $exe
  $summary.written_on_host = @(
    [ordered]@{ path = $exe; bytes = $data.Length; why = 'Windows runs a program only from a file; deleted after the acquisition' },
    [ordered]@{ path = $env:TEMP; bytes = $null; why = 'WinPmem extracts its kernel driver into a temporary file to load it, and removes it' })
  $data = $null
  $start = New-Object Diagnostics.ProcessStartInfo
  $start.FileName = $exe
  $start.Arguments = (@($ir_tool_args | ForEach-Object { '"' + $_ + '"' }) -join ' ')
  $start.UseShellExecute = $false
  $start.RedirectStandardOutput = $true
  $process = [Diagnostics.Process]::Start($start)
  $stream = $process.StandardOutput.BaseStream
  $buffer = New-Object byte[] $ir_part_size
  $hash = [Security.Cryptography.SHA256]::Create()
  $total = [long]0
  $parts = 0
  while ($true) {
    $filled = 0
    while ($filled -lt $ir_part_size) {
      $count = $stream.Read($buffer, $filled, $ir_part_size - $filled)
      if ($count -le 0) { break }
      $filled += $count
    }
    if ($filled -eq 0) { break }
    if ($parts -ge $partUrls.Count) {
      $process.Kill()
      throw ('image_larger_than_plan|the image is larger than the ' + $partUrls.Count + ' parts of ' + $ir_part_size + ' bytes planned')
    }
    [void]$hash.TransformBlock($buffer, 0, $filled, $null, 0)
    $total += $filled
    $parts += 1
    $url = $partUrls[$parts - 1]
    Invoke-IrRetry "uploading part $parts" { Send-IrPart $url $buffer $filled }
    if ($filled -lt $ir_part_size) { break }
  }
  [void]$hash.TransformFinalBlock((New-Object byte[] 0), 0, 0)
  $process.WaitForExit()
  $summary.bytes = $total
  $summary.parts = $parts
  $summary.sha256 = Get-IrHex $hash.Hash
  $summary.tool_rc = $process.ExitCode
  if ($process.ExitCode -ne 0) { throw ('tool_failed|the tool exited ' + $process.ExitCode + ' after writing ' + $total + ' bytes') }
  if ($total -eq 0) { throw 'empty_image|the tool wrote no bytes' }
  $summary.status = 'uploaded'
} catch {
  $text = [string]$_.Exception.Message
  if ($text -match '^([a-z_]+)\|(.*)$') { $summary.reason = $Matches[1]; $summary.message = Hide-IrUrl $Matches[2] }
  else { $summary.reason = 'host_error'; $summary.message = Hide-IrUrl $text }
} finally {
  if ($folder) { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue }
}
$summary.ended_at = Get-IrUtc
Write-Output ('##IR## memory ' + ($summary | ConvertTo-Json -Compress -Depth 4))
if ($summary.status -ne 'uploaded') { exit 1 }
"""
