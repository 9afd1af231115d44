import { afterEach, describe, expect, it, vi } from "vitest";
import { withTimeout } from "../../src/with-timeout.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("withTimeout", () => {
  it("settles like the promise when it is in time, leaving no timer behind", async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve(7), 1000, "late")).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("boom")), 1000, "late")).rejects.toThrow(
      "boom",
    );
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with the message, or the error onTimeout makes, when time is up", async () => {
    vi.useFakeTimers();
    const never = new Promise<never>(() => undefined);
    const byMessage = withTimeout(never, 1000, "no answer within 1000 ms");
    const onTimeout = vi.fn(() => new RangeError("custom"));
    const byFunction = withTimeout(never, 2000, onTimeout);
    const checked = Promise.all([
      expect(byMessage).rejects.toThrow("no answer within 1000 ms"),
      expect(byFunction).rejects.toBeInstanceOf(RangeError),
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(onTimeout).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    await checked;
  });

  it("handles a rejection that comes after the time is up", async () => {
    vi.useFakeTimers();
    let reject!: (err: Error) => void;
    const late = new Promise<never>((_, r) => (reject = r));
    const wait = withTimeout(late, 10, "late");
    const checked = expect(wait).rejects.toThrow("late");
    await vi.advanceTimersByTimeAsync(10);
    await checked;
    vi.useRealTimers();
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    reject(new Error("after the timeout"));
    await new Promise((r) => setImmediate(r));
    process.off("unhandledRejection", unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });
});
