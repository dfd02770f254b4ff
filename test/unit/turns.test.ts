import { describe, expect, it } from "vitest";
import { Turns } from "../../shared/store/turns";

/** A turn's work that ends only when the test says so. */
function held() {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { end, work: () => ended };
}

describe("a process's turns per model", () => {
  it("runs the turns of one model one at a time, in the order they were taken, telling each whether it waited", async () => {
    const turns = new Turns();
    const events: string[] = [];
    const first = held();
    const taken = [
      turns.take("fraud", async (waited) => {
        events.push(`first starts, waited ${waited}`);
        await first.work();
        events.push("first ends");
      }),
      turns.take("fraud", async (waited) => void events.push(`second starts, waited ${waited}`)),
      turns.take("fraud", async (waited) => void events.push(`third starts, waited ${waited}`)),
    ];
    await Promise.resolve();
    expect(events).toEqual(["first starts, waited false"]);

    first.end();
    await Promise.all(taken);

    expect(events).toEqual(["first starts, waited false", "first ends", "second starts, waited true", "third starts, waited true"]);
  });

  it("lets another model's turn run meanwhile", async () => {
    const turns = new Turns();
    const fraud = held();
    const fraudTurn = turns.take("fraud", fraud.work);

    await expect(turns.take("churn", async (waited) => waited)).resolves.toBe(false);

    fraud.end();
    await fraudTurn;
  });

  it("passes the turn on when a turn's work fails, and starts afresh once every turn has ended", async () => {
    const turns = new Turns();
    const failing = turns.take("fraud", async () => Promise.reject(new Error("refused")));
    const next = turns.take("fraud", async (waited) => waited);

    await expect(failing).rejects.toThrow("refused");
    await expect(next).resolves.toBe(true);
    await expect(turns.take("fraud", async (waited) => waited)).resolves.toBe(false);
  });
});
