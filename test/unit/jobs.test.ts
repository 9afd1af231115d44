import { describe, expect, it } from "vitest";
import {
  PollJobData,
  readPollJobData,
  readSubmitJobData,
  SubmitJobData,
} from "../../src/jobs/job-data.js";
import { pollJobId, submitJobId } from "../../src/jobs/job-ids.js";
import {
  pollJobOptions,
  SUBMIT_BACKOFF_TYPE,
  submitJobOptions,
} from "../../src/jobs/job-options.js";
import { QUEUE_NAMES } from "../../src/jobs/queue-names.js";

describe("queue names and job ids (stored in Redis: never change them)", () => {
  it("names the two queues", () => {
    expect(QUEUE_NAMES).toEqual({ submit: "refund-submit", poll: "refund-poll" });
  });

  it.each([
    [submitJobId("1991810932510167040"), "submit-1991810932510167040"],
    [submitJobId("r_1-a", 0), "submit-r_1-a"],
    [submitJobId("r_1-a", 2), "submit-r_1-a-g2"],
    [pollJobId("123", 1), "poll-123-1"],
    [pollJobId("123", 7, 0), "poll-123-7"],
    [pollJobId("123", 7, 3), "poll-123-7-g3"],
  ])("%s", (id, expected) => {
    expect(id).toBe(expected);
    // BullMQ refuses ':' and all-digit custom ids.
    expect(id).not.toContain(":");
    expect(id).not.toMatch(/^\d+$/);
  });
});

describe("job payloads and options", () => {
  it("payloads carry ids only", () => {
    expect(SubmitJobData.parse({ refundRequestId: "r-1" })).toEqual({ refundRequestId: "r-1" });
    expect(() => SubmitJobData.parse({ refundRequestId: "" })).toThrow();
    expect(PollJobData.parse({ refundRequestId: "r-1", pollNumber: 2 })).toEqual({
      refundRequestId: "r-1",
      pollNumber: 2,
    });
    expect(() => PollJobData.parse({ refundRequestId: "r-1", pollNumber: 0 })).toThrow();
  });

  it("the processors' readers give zod's result and throw where zod throws", () => {
    class Data {
      refundRequestId = "r-1";
      pollNumber = 2;
    }
    const inputs: unknown[] = [
      { refundRequestId: "r-1" },
      { refundRequestId: "r-1", extra: true },
      { refundRequestId: "r-1", pollNumber: 2 },
      { refundRequestId: "r-1", pollNumber: 2, extra: "x" },
      { refundRequestId: "" },
      { refundRequestId: 5 },
      { refundRequestId: "r-1", pollNumber: 0 },
      { refundRequestId: "r-1", pollNumber: -0 },
      { refundRequestId: "r-1", pollNumber: 1.5 },
      { refundRequestId: "r-1", pollNumber: 2 ** 53 },
      { refundRequestId: "r-1", pollNumber: Infinity },
      { refundRequestId: "r-1", pollNumber: "2" },
      Object.create({ refundRequestId: "r-1", pollNumber: 2 }),
      new Data(),
      ["r-1"],
      null,
      undefined,
      "r-1",
    ];
    const outcome = (f: () => unknown) => {
      try {
        return { ok: f() };
      } catch (err) {
        return { threw: (err as Error).message };
      }
    };
    for (const data of inputs) {
      expect(outcome(() => readSubmitJobData(data))).toEqual(
        outcome(() => SubmitJobData.parse(data)),
      );
      expect(outcome(() => readPollJobData(data))).toEqual(outcome(() => PollJobData.parse(data)));
    }
  });

  it("submit jobs use the worker's backoff and the configured attempts", () => {
    expect(submitJobOptions("submit-r-1", 8)).toMatchObject({
      jobId: "submit-r-1",
      attempts: 8,
      backoff: { type: SUBMIT_BACKOFF_TYPE },
    });
  });

  it("poll delays are whole, non-negative ms", () => {
    expect(pollJobOptions("poll-r-1-1", 1234.6).delay).toBe(1235);
    expect(pollJobOptions("poll-r-1-1", -5).delay).toBe(0);
  });
});
