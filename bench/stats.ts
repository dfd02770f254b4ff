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

/** CPU this process and the processes it started spent over a stretch of time, and by which threads. */
export interface CpuSpent {
  readonly wallS: number;
  /** Every thread's user + system CPU seconds. */
  readonly processS: number;
  /**
   * User + system CPU seconds of the processes this one started (Linux: /proc), such as DynamoDB
   * Local's JVM; a process that ended within the stretch is not counted. 0 elsewhere.
   */
  readonly childrenS: number;
  /** (processS + childrenS) / wallS: how many cores the work kept busy, at most the CPU count. */
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
  const children0 = childrenTicks();
  return () => {
    const { user, system } = process.cpuUsage(process0);
    const wallS = (performance.now() - started) / 1000;
    const processS = (user + system) / 1e6;
    const threads = [...threadTicks()]
      .map(([tid, ticks]) => ({ main: tid === process.pid, cpuS: ticksSince(threads0, tid, ticks) }))
      .filter((thread) => thread.main || thread.cpuS > 0)
      .sort((a, b) => Number(b.main) - Number(a.main) || b.cpuS - a.cpuS);
    const childrenS = [...childrenTicks()].reduce((sum, [pid, ticks]) => sum + ticksSince(children0, pid, ticks), 0);
    return { wallS, processS, childrenS, cores: (processS + childrenS) / wallS, threads };
  };
}

/** CPU seconds of a thread or process since `before` was read (from 0 when it started after). */
const ticksSince = (before: Map<number, number>, id: number, ticks: number): number => (ticks - (before.get(id) ?? 0)) / CLOCK_TICKS_PER_S;

/** Stretches measured one after another, as one: their times added up, threads told apart no more. */
export function addedUp(stretches: readonly CpuSpent[]): CpuSpent {
  const total = (of: (stretch: CpuSpent) => number) => stretches.reduce((sum, stretch) => sum + of(stretch), 0);
  const [wallS, processS, childrenS] = [total((s) => s.wallS), total((s) => s.processS), total((s) => s.childrenS)];
  return { wallS, processS, childrenS, cores: (processS + childrenS) / wallS, threads: [] };
}

/** Linux's USER_HZ, the unit of /proc's CPU times. */
const CLOCK_TICKS_PER_S = 100;

/** Each live thread's user + system CPU time in clock ticks, by thread id; empty where there is no /proc. */
function threadTicks(): Map<number, number> {
  return ticksOf(threadsOf("self").map((tid) => [Number(tid), `/proc/self/task/${tid}/stat`]));
}

/** Each live process this one started, and those they started, with its user + system CPU time in clock ticks; empty where there is no /proc. */
function childrenTicks(): Map<number, number> {
  return ticksOf(descendantsOf(process.pid).map((pid) => [pid, `/proc/${pid}/stat`]));
}

/** The thread ids of a process (`self` or a pid), none when it ended or there is no /proc. */
function threadsOf(pid: number | "self"): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** The processes `pid`'s threads started, and theirs, still running. */
function descendantsOf(pid: number): number[] {
  const children = threadsOf(pid).flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

/** utime + stime of each /proc stat file, by id; one that ended meanwhile is left out. */
function ticksOf(stats: readonly [number, string][]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const [id, path] of stats) {
    try {
      // After the command name (in parentheses, any characters) come fields 3 on; utime and stime are fields 14 and 15.
      const stat = readFileSync(path, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(id, Number(fields[11]) + Number(fields[12]));
    } catch {
      // It ended meanwhile.
    }
  }
  return ticks;
}
