"""Running one command under measurement: wall time, CPU time and peak memory of its process tree, its output.

CPU time (user + system of the command and all its descendants, from wait4) depends much less on
what else the machine is running than wall time does: it is the figure to compare between runs
made under different loads. What else ran is measured too: the CPU time all processes used during
the run (/proc/stat) minus the command's and the lab's, as an average number of busy cores.

Peak memory is measured two ways:
- tree: the largest sum of resident memory (RSS) of the command and all its descendants at one
  moment, sampled from /proc/<pid>/stat every SAMPLE_SECONDS. Pages shared between forked
  processes count once per process, so this is an upper bound of what the run needs.
- largest process: ru_maxrss from wait4, what `/usr/bin/time -v` reports as "Maximum resident
  set size" (the largest single process of the tree, not the sum).

The sampler reads one small file per process on the machine; at SAMPLE_SECONDS = 0.05 it costs
about 3 % of one core, which the measured run competes with.
"""

import collections
import os
import subprocess
import threading
import time

SAMPLE_SECONDS = 0.05
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
_TICKS = os.sysconf("SC_CLK_TCK")


def _processes():
    """{pid: (parent pid, RSS in KiB)} of every process, from /proc/<pid>/stat."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended between listdir and open
        # After the command name: state, ppid (4th field of the line), ...; rss is the 24th field.
        found[int(entry)] = (int(fields[1]), int(fields[21]) * _PAGE_KIB)
    return found


def busy_seconds():
    """CPU time every process on the machine has used since boot (all cores), from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as handle:
        user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in handle.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / _TICKS


def process_cpu_seconds(pid):
    """User + system CPU time of one process so far (not its children), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_rss_kib(root_pid):
    """Total RSS (KiB) of root_pid and all its descendants now."""
    processes = _processes()
    children = collections.defaultdict(list)
    for pid, (parent, _rss) in processes.items():
        children[parent].append(pid)
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += processes.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, []))
    return total


def run(command, env, cwd, server_pid):
    """Run command against the server (the lab) of server_pid.

    Returns {"exit_code", "start" (epoch s), "wall_s", "cpu_s" (the command and its descendants),
    "server_cpu_s", "others_cores" (average cores busy with anything else), "peak_tree_rss_mib",
    "max_process_rss_mib", "output"}.
    """
    busy, server = busy_seconds(), process_cpu_seconds(server_pid)
    start = time.time()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # pylint: disable=consider-using-with
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kib(process.pid))
            done.wait(SAMPLE_SECONDS)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    # wait4 instead of wait: it also gives the largest resident set of the command and its descendants.
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.time() - start
    busy, server = busy_seconds() - busy, process_cpu_seconds(server_pid) - server
    done.set()
    sampler.join()
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return {"exit_code": process.returncode, "start": start, "wall_s": wall, "cpu_s": cpu, "server_cpu_s": server,
            "others_cores": max(busy - cpu - server, 0.0) / wall, "peak_tree_rss_mib": round(peak[0] / 1024, 1),
            "max_process_rss_mib": round(usage.ru_maxrss / 1024, 1), "output": output}
