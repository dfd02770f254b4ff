import type { PullProgress } from "./download";
import type { PushProgress } from "./upload";

/** The CLI's streams: results to `stdout`, progress and messages to `stderr` (STYLE §18). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: progress is a bar redrawn in place rather than lines. */
  readonly interactive: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  /** Told the command about to run (`push`, `list`…): what Ctrl-C would interrupt. */
  readonly onCommand?: (name: string) => void;
}

const MiB = 1024 * 1024;
/** The phases that move bytes get a bar; the others (registering, completing, verifying) a line. */
const BYTE_PHASES = new Set(["hashing", "uploading", "downloading"]);
const BAR_WIDTH = 20;
const REDRAW_MS = 100;

type Progress = (PushProgress | PullProgress) & { partsDone?: number; partsTotal?: number };

/**
 * Turns progress events into output on stderr: on a terminal a bar redrawn at most every 100 ms
 * (bytes, rate, ETA, parts), otherwise one line per phase and per quarter done.
 */
export function progressRenderer(io: CliIo): { update: (progress: Progress) => void; finish: () => void } {
  let phase = "";
  let phaseStarted = io.now();
  let lastDraw = 0;
  let lastQuarter = -1;
  let drawn = false;
  return {
    update(progress) {
      const now = io.now();
      if (progress.phase !== phase) {
        if (drawn) io.stderr("\n");
        drawn = false;
        phase = progress.phase;
        phaseStarted = now;
        lastQuarter = -1;
        if (!io.interactive || !BYTE_PHASES.has(phase)) io.stderr(`${phase}…\n`);
      }
      if (!BYTE_PHASES.has(phase)) return;
      const fraction = progress.bytesTotal > 0 ? progress.bytesDone / progress.bytesTotal : 1;
      if (io.interactive) {
        if (now - lastDraw < REDRAW_MS && fraction < 1) return;
        lastDraw = now;
        drawn = true;
        io.stderr(`\r\x1b[K${progressLine(progress, fraction, (now - phaseStarted) / 1000)}`);
        return;
      }
      const quarter = Math.floor(fraction * 4);
      if (quarter > lastQuarter && progress.bytesDone > 0) {
        lastQuarter = quarter;
        io.stderr(`  ${progressLine(progress, fraction, (now - phaseStarted) / 1000)}\n`);
      }
    },
    finish() {
      if (drawn) io.stderr("\n");
      drawn = false;
    },
  };
}

function progressLine(progress: Progress, fraction: number, seconds: number): string {
  const rate = seconds > 0 ? progress.bytesDone / seconds : 0;
  const eta = rate > 0 ? (progress.bytesTotal - progress.bytesDone) / rate : undefined;
  const filled = Math.round(fraction * BAR_WIDTH);
  const parts =
    progress.partsTotal && progress.partsTotal > 1 && progress.phase === "uploading"
      ? `  parts ${progress.partsDone}/${progress.partsTotal}`
      : "";
  return `${progress.phase.padEnd(11)} ▕${"█".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}▏ ${String(Math.floor(fraction * 100)).padStart(3)}% ${mib(progress.bytesDone)}/${mib(progress.bytesTotal)} MiB  ${mib(rate)} MiB/s  ETA ${clock(eta)}${parts}`;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

function clock(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "-:--:--";
  const s = Math.ceil(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

interface VersionLike {
  readonly model: string;
  readonly version: number;
  readonly semver?: string;
  readonly status: string;
  readonly stage: string;
  readonly uri: string;
  readonly artifact?: { readonly sha256: string };
}

/** `fraud_detector version 7 (0.3.0) READY  stage Staging  sha256 3f2a…  models:/fraud_detector/7` */
export const versionLine = (v: VersionLike): string =>
  `${v.model} version ${v.version}${v.semver ? ` (${v.semver})` : ""} ${v.status}  stage ${v.stage}${v.artifact ? `  sha256 ${v.artifact.sha256}` : ""}  ${v.uri}`;

/** `fraud_detector version 7: Staging → Production; archived 6` */
export function transitionLine(
  model: string,
  moved: { readonly version: number; readonly from: string; readonly to: string; readonly archived: readonly number[] },
): string {
  const archived = moved.archived.length > 0 ? `; archived ${moved.archived.join(", ")}` : "";
  return `${model} version ${moved.version}: ${moved.from} → ${moved.to}${archived}`;
}

interface HistoryEntryLike {
  readonly sequence: number;
  readonly occurredAt: string;
  readonly action: string;
  readonly actor: string;
  readonly version?: number;
  readonly fromStage?: string;
  readonly toStage?: string;
  readonly alias?: string;
  readonly previousVersion?: number;
  readonly reason?: string;
}

/**
 * `#5 2024-01-15T10:30:00.000Z STAGE_CHANGED version 7 Staging → Production  by alice: canary ok`;
 * an alias's entry names the alias and what it pointed to: `ALIAS_CHANGED @champion version 6 → 7`.
 */
export function historyLine(e: HistoryEntryLike): string {
  const what =
    e.action === "ALIAS_CHANGED"
      ? ` @${e.alias} ${aliasTarget(e.previousVersion)} → ${aliasTarget(e.version)}`
      : `${e.version ? ` version ${e.version}` : ""}${e.toStage ? ` ${e.fromStage ?? ""} → ${e.toStage}` : ""}${e.alias ? ` for @${e.alias}` : ""}`;
  return `#${e.sequence} ${e.occurredAt} ${e.action}${what}  by ${e.actor}${e.reason ? `: ${e.reason}` : ""}`;
}

const aliasTarget = (version: number | undefined): string => (version === undefined ? "none" : `version ${version}`);
