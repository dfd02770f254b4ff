import { readdirSync, readFileSync } from "node:fs";

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

/** CPU this process spent over a stretch of time, and by which threads. */
export interface CpuSpent {
  readonly wallS: number;
  /** Every thread's user + system CPU seconds. */
  readonly processS: number;
  /** processS / wallS: how many cores the process kept busy, at most the CPU count. */
  readonly cores: number;
  /**
   * Per thread (Linux: /proc), busiest first: the main thread, then the others (worker threads,
   * libuv's file system pool, V8's garbage collection helpers), CPU seconds. Empty elsewhere.
   */
  readonly threads: readonly { readonly main: boolean; readonly cpuS: number }[];
}

/** Starts measuring: the returned function tells the CPU spent since. */
export function cpuMeter(): () => CpuSpent {
  const started = performance.now();
  const process0 = process.cpuUsage();
  const threads0 = threadTicks();
  return () => {
    const { user, system } = process.cpuUsage(process0);
    const wallS = (performance.now() - started) / 1000;
    const processS = (user + system) / 1e6;
    const threads = [...threadTicks()]
      .map(([tid, ticks]) => ({ main: tid === process.pid, cpuS: (ticks - (threads0.get(tid) ?? 0)) / CLOCK_TICKS_PER_S }))
      .filter((thread) => thread.main || thread.cpuS > 0)
      .sort((a, b) => Number(b.main) - Number(a.main) || b.cpuS - a.cpuS);
    return { wallS, processS, cores: processS / wallS, threads };
  };
}

/** Stretches measured one after another, as one: their times added up, threads told apart no more. */
export function addedUp(stretches: readonly CpuSpent[]): CpuSpent {
  const wallS = stretches.reduce((sum, stretch) => sum + stretch.wallS, 0);
  const processS = stretches.reduce((sum, stretch) => sum + stretch.processS, 0);
  return { wallS, processS, cores: processS / wallS, threads: [] };
}

/** Linux's USER_HZ, the unit of /proc's CPU times. */
const CLOCK_TICKS_PER_S = 100;

/** Each live thread's user + system CPU time in clock ticks, by thread id; empty where there is no /proc. */
function threadTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return ticks;
  }
  for (const tid of tids) {
    try {
      // After the command name (in parentheses, any characters) come fields 3 on; utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ticks;
}
