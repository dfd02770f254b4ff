import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { scheduleHousekeeping, type ScheduledHandler } from "../../infra/local/housekeeping";

/** A handler whose invocations the test ends one by one, recording each event it was given. */
function controlledHandler() {
  const invocations: { detailType: string; requestId: string; end: (error?: Error) => void }[] = [];
  const handler: ScheduledHandler = (event, context) =>
    new Promise((resolve, reject) => {
      invocations.push({
        detailType: event["detail-type"],
        requestId: context.awsRequestId,
        end: (error) => (error ? reject(error) : resolve(undefined)),
      });
    });
  return { handler, invocations };
}

/** Lets every pending promise callback run (no timers involved). */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe("housekeeping under npm start", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("invokes the handler with a Scheduled Event every interval, each run with its own request id", async () => {
    const { handler, invocations } = controlledHandler();
    const housekeeping = scheduleHousekeeping({ everyMs: 60_000, handler: async () => handler, onError: () => undefined });

    await vi.advanceTimersByTimeAsync(60_000);
    invocations[0]?.end();
    await vi.advanceTimersByTimeAsync(60_000);

    expect(invocations.map((i) => i.detailType)).toEqual(["Scheduled Event", "Scheduled Event"]);
    expect(new Set(invocations.map((i) => i.requestId)).size).toBe(2);
    invocations[1]?.end();
    await housekeeping.stop();
  });

  it("starts a run asked for while another is under way only once that one has ended", async () => {
    const { handler, invocations } = controlledHandler();
    const housekeeping = scheduleHousekeeping({ everyMs: undefined, handler: async () => handler, onError: () => undefined });

    const first = housekeeping.runNow();
    const second = housekeeping.runNow();
    await settle();
    expect(invocations).toHaveLength(1);

    invocations[0]?.end();
    await first;
    await settle();
    expect(invocations).toHaveLength(2);
    invocations[1]?.end();
    await second;
  });

  it("runs only on demand without an interval, and stop() waits for the run under way", async () => {
    const { handler, invocations } = controlledHandler();
    const housekeeping = scheduleHousekeeping({ everyMs: undefined, handler: async () => handler, onError: () => undefined });

    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(invocations).toHaveLength(0);

    void housekeeping.runNow();
    await settle();
    let stopped = false;
    const stopping = housekeeping.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    invocations[0]?.end();
    await stopping;
    expect(stopped).toBe(true);
  });

  it("reports a failed run and keeps its schedule", async () => {
    const { handler, invocations } = controlledHandler();
    const errors: unknown[] = [];
    const housekeeping = scheduleHousekeeping({ everyMs: 1_000, handler: async () => handler, onError: (e) => errors.push(e) });

    await vi.advanceTimersByTimeAsync(1_000);
    invocations[0]?.end(new Error("model m failed"));
    await vi.advanceTimersByTimeAsync(1_000);

    expect(errors).toEqual([new Error("model m failed")]);
    expect(invocations).toHaveLength(2);
    invocations[1]?.end();
    await housekeeping.stop();
  });
});
