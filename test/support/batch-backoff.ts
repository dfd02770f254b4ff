import type { BatchBackoff } from "../../shared/store/batch-rounds";
import { decorrelatedJitter } from "../../shared/store/model-change";

export const ROUND_MS = 10;

/**
 * A clock that only the rounds (10 ms each, `round()` from the mocked batch call) and the waits move,
 * and the longest wait decorrelated jitter draws: 30 ms after the first round, three times the one
 * before after each next, capped at 2 s.
 */
export function fakeBatchClock(): BatchBackoff & { slept: number[]; round: () => void } {
  let elapsed = 0;
  const slept: number[] = [];
  return {
    backoffMs: decorrelatedJitter(() => 1),
    sleep: async (ms) => {
      slept.push(ms);
      elapsed += ms;
    },
    now: () => elapsed,
    round: () => void (elapsed += ROUND_MS),
    slept,
  };
}
