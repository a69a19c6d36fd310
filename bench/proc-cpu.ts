// Owns reading CPU time from Linux /proc stat files, for benches and profiles that measure another process's CPU.
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux architecture Node runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_S = 100;

/** The name in a stat line (field 2, between the first '(' and the last ')'; it may hold spaces). */
export function statName(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/** CPU seconds (user + system) used so far, from a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line (fields 14 and 15, in clock ticks). */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // field 3 onwards
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** CPU seconds (user + system) a process has used so far. */
export const cpuSecondsOf = (pid: number): number => statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
