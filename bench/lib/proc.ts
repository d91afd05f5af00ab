/** CPU time and resident memory of a process and its descendants, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

const clockTicksPerSecond = 100; // USER_HZ on Linux

function stat(pid: number): { ppid: number; cpuTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** `pid` and every process below it (Hive Gateway's supervisor and worker, a bash wrapper, ...). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(entry));
    children.set(s.ppid, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** User + system CPU milliseconds of the whole tree so far. */
export function cpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + ((stat(p)?.cpuTicks ?? 0) * 1000) / clockTicksPerSecond, 0);
}

/** Resident memory of the whole tree, MiB. */
export function rssMiB(pid: number): number {
  let kib = 0;
  for (const p of processTree(pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kib / 1024;
}
