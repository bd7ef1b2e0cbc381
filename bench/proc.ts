/**
 * What Linux's /proc tells about a process and the machine: a process's
 * memory, the CPU time it (or its waited-for children) used, and the CPU
 * time the whole machine spent busy. Every function resolves to undefined
 * where /proc is not there.
 */
import { readFile } from 'node:fs/promises';

const KIB = 1024;
const MS_PER_SECOND = 1000;

/** Memory of a process from /proc/<pid>/status, in bytes. */
export interface ProcessMemory {
  /** Resident set size now (VmRSS). */
  readonly rss: number;
  /** Peak resident set size (VmHWM). */
  readonly peak: number;
}

/** Reads VmRSS and VmHWM of `pid`; undefined when /proc is not there. */
export async function processMemory(pid: number): Promise<ProcessMemory | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * KIB;
  };
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Linux reports process times in USER_HZ ticks: 100 a second on every architecture Node runs on. */
const USER_HZ = 100;
/** Fields of /proc/<pid>/stat after the command name: utime and stime, then cutime and cstime (children it waited for). */
const STAT_UTIME = 11;
const STAT_STIME = 12;
const STAT_CUTIME = 13;
const STAT_CSTIME = 14;

/**
 * CPU time (user + system, all threads) in ms that `pid` used so far, or
 * with `children` the time of its children that have exited and been
 * waited for (the commands a process spawned and saw end); undefined when
 * /proc is not there.
 */
export async function processCpuMs(pid: number, children = false): Promise<number | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": the command name may hold spaces, so split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [user, system] = children ? [STAT_CUTIME, STAT_CSTIME] : [STAT_UTIME, STAT_STIME];
  return ((Number(fields[user]) + Number(fields[system])) * MS_PER_SECOND) / USER_HZ;
}

/** Fields of the "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal (guest time is counted in user). */
const PROC_STAT_IDLE = 3;
const PROC_STAT_IOWAIT = 4;
const PROC_STAT_FIELDS = 8;

/**
 * CPU time (ms, summed over every core) the whole machine spent busy so far,
 * whoever used it: every process, including other users'. Undefined when
 * /proc is not there.
 */
export async function machineBusyMs(): Promise<number | undefined> {
  let stat: string;
  try {
    stat = await readFile('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const ticks = stat.split('\n')[0]!.split(/\s+/).slice(1, 1 + PROC_STAT_FIELDS).map(Number);
  const busy = ticks.reduce((sum, t, i) => (i === PROC_STAT_IDLE || i === PROC_STAT_IOWAIT ? sum : sum + t), 0);
  return (busy * MS_PER_SECOND) / USER_HZ;
}
