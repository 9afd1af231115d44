/** The refund state machine: properties over random event sequences. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GatePayAnswer } from "../../src/domain/refund-record.js";
import {
  applyRefundEvent,
  isTerminalState,
  REFUND_STATES,
  type RefundEvent,
} from "../../src/domain/refund-state.js";
import {
  T0,
  recordIn,
  PROGRESS,
  GATEPAY_REPORTS,
  deepFreeze,
} from "../helpers/refund-state-fixtures.js";

describe("properties", () => {
  const errorArb = fc.record({
    code: fc.string({ maxLength: 8 }),
    message: fc.string({ maxLength: 20 }),
  });
  const answerArb = fc
    .record({
      source: fc.constantFrom("create", "details", "query-v1", "webhook"),
      status: fc.constantFrom("PROCESSING", "SUCCESS", "FAIL", "REFUND_SUCCESS", "WHATEVER"),
    })
    .map(({ source, status }): GatePayAnswer => ({
      source,
      status,
      at: new Date(T0).toISOString(),
    }));
  const timeArb = fc.integer({ min: T0, max: T0 + 10 * 86_400_000 });

  const eventArb: fc.Arbitrary<RefundEvent> = fc.oneof(
    fc.record({
      type: fc.constant("submit-started" as const),
      attempt: fc.integer({ min: 1, max: 20 }),
      leaseOwner: fc.string({ minLength: 1, maxLength: 8 }),
      leaseUntilMs: timeArb,
    }),
    fc.record({
      type: fc.constant("submit-deferred" as const),
      mayExist: fc.boolean(),
      error: errorArb,
    }),
    fc.constant({ type: "not-found" as const, confirmed: true }),
    fc.record({ type: fc.constant("accepted" as const), answer: answerArb, deadlineAtMs: timeArb }),
    fc.record({ type: fc.constant("in-progress" as const), answer: answerArb }),
    fc.record({ type: fc.constant("succeeded" as const), answer: answerArb }),
    fc.record({ type: fc.constant("failed" as const), answer: answerArb }),
    fc.record({ type: fc.constant("failed" as const), answer: answerArb, error: errorArb }),
    fc.record({ type: fc.constant("rejected" as const), error: errorArb }),
    fc.record({ type: fc.constant("over-refund" as const), error: errorArb }),
    fc.record({ type: fc.constant("dead" as const), error: errorArb }),
    fc.record({ type: fc.constant("stuck" as const), error: errorArb }),
    fc.constant({ type: "replayed" as const }),
    fc.record({ type: fc.constant("replayed" as const), deadlineAtMs: timeArb }),
    fc.constant({ type: "redriven" as const }),
  );

  const startArb = fc
    .tuple(fc.constantFrom(...REFUND_STATES), fc.boolean(), fc.boolean())
    .map(([state, mayExist, withPoll]) =>
      recordIn(state, {
        submit: { mayExist, generation: 0 },
        ...(withPoll ? { poll: { acceptedAtMs: T0 - 1000, deadlineAtMs: T0 + 1000 } } : {}),
      }),
    );

  it("terminal states never change; GatePay reports never lower progress; version and history count applied events", () => {
    fc.assert(
      fc.property(
        startArb,
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 60_000 })), { maxLength: 30 }),
        (start, steps) => {
          let record = deepFreeze(start);
          let nowMs = T0;
          let applied = 0;
          for (const [event, dtMs] of steps) {
            nowMs += dtMs;
            const before = record;
            const result = applyRefundEvent(before, event, nowMs);
            if (isTerminalState(before.state)) {
              // Only a contradiction is noted (attention), and the state stays.
              expect(result.record.state).toBe(before.state);
              if (result.changed) expect(result.attention).toBeDefined();
            }
            if (!result.changed) {
              expect(result.record).toBe(before);
              continue;
            }
            applied++;
            const after = result.record;
            if (GATEPAY_REPORTS.has(event.type)) {
              expect(PROGRESS[after.state]).toBeGreaterThanOrEqual(PROGRESS[before.state]);
            }
            expect(after.version).toBe(before.version + 1);
            expect(after.history).toHaveLength(before.history.length + 1);
            expect(after.history.slice(0, -1)).toEqual(before.history);
            const last = after.history.at(-1)!;
            expect(last.state).toBe(after.state);
            expect(last.event).toBe(result.attention ? "attention" : event.type);
            expect(last.at).toBe(new Date(nowMs).toISOString());
            expect(after.updatedAt).toBe(last.at);
            expect(after.submit.generation).toBe(
              before.submit.generation +
                (event.type === "replayed" || event.type === "redriven" ? 1 : 0),
            );
            // A lease exists only while a submit attempt is under way.
            if (after.submit.leaseOwner !== undefined) expect(after.state).toBe("submitting");
            record = deepFreeze(after);
          }
          expect(record.version).toBe(start.version + applied);
          expect(record.history).toHaveLength(start.history.length + applied);
          if (isTerminalState(start.state)) expect(record.state).toBe(start.state);
        },
      ),
      { numRuns: 500 },
    );
  });
});
