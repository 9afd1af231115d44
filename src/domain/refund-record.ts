/**
 * The refund record: the single source of truth for one refund (DESIGN.md "Refund record").
 * Jobs are only triggers; every decision a processor makes starts from this record, so a
 * job that runs twice, late or after a crash cannot move money twice.
 */

/** Every state a refund can be in (see refund-state.ts for what they mean). */
export const REFUND_STATES = [
  "queued",
  "submitting",
  "accepted",
  "processing",
  "succeeded",
  "failed",
  "rejected",
  "dead",
  "stuck",
] as const;

export type RefundState = (typeof REFUND_STATES)[number];

/** Which GatePay refund endpoint the request goes to. */
export type RefundKind = "order" | "convert";

/** The fields of an order refund as they go to GatePay (gatepay-api.md §5.1). */
export interface OrderRefundFields {
  kind: "order";
  refundRequestId: string;
  prepayId: string;
  refundAmount: string;
  refundReason?: string | undefined;
  onBehalfOf?: string | undefined;
  /** The order's total, when the producer knows it: checks this request only (never the stored cap). */
  orderAmount?: string | undefined;
}

/** The fields of a convert (address-payment) refund (gatepay-api.md §5.4). */
export interface ConvertRefundFields {
  kind: "convert";
  refundRequestId: string;
  prepayId: string;
  refundOrderCurrency: string;
  refundOrderAmount: string;
  refundPayCurrency: string;
  refundPayAmount: string;
  receiverId: string;
  refundReason?: string | undefined;
  onBehalfOf?: string | undefined;
  orderAmount?: string | undefined;
}

export type RefundRequestFields = OrderRefundFields | ConvertRefundFields;

/** One entry of a record's history: every transition, with its time. */
export interface RefundHistoryEntry {
  state: RefundState;
  /** ISO-8601 UTC time of the transition. */
  at: string;
  /** What caused it (an event type such as `submit-started` or `webhook`). */
  event: string;
  /** A short human note (attempt number, GatePay status, error code). */
  note?: string;
}

/** The last error seen for this refund: a GatePay code or one of ours (`OVER_REFUND`…). */
export interface RefundError {
  code: string;
  message: string;
  at: string;
}

/** The last answer GatePay gave about this refund (trimmed to the useful fields). */
export interface GatePayAnswer {
  /** Where it came from: the create response, v2 details, v1 query or a webhook. */
  source: "create" | "details" | "query-v1" | "webhook";
  at: string;
  /** GatePay's status string, as sent (`SUCCESS`, `PROCESSING`, `REFUND_SUCCESS`…). */
  status?: string;
  gateRefundId?: string;
  orderAmount?: string;
  /** The order's currency, when GatePay told it (the over-refund cap's currency). */
  orderCurrency?: string;
  refundAmount?: string;
  currency?: string;
  failReason?: string;
}

/** Submit bookkeeping: what the submit worker needs to never re-send blind. */
export interface SubmitState {
  /**
   * True from the moment a POST may have left until GatePay proves otherwise. While
   * true, the next attempt must look the refund up before any re-send (DESIGN.md).
   */
  mayExist: boolean;
  /** Epoch ms (shared Redis clock) when the last POST that may have reached GatePay left. */
  lastSentAtMs?: number;
  /** Lease of the worker holding the in-flight POST: no one else sends until it ends. */
  leaseOwner?: string;
  leaseUntilMs?: number;
  /** Bumped when a replay or the reconciler re-drives the refund with a new job. */
  generation: number;
  /**
   * When GatePay's answer to the last send arrived, if that answer was a failure that
   * leaves the outcome unknown (HTTP 5xx, 300000), on the shared clock, ms. Whatever the
   * request did at GatePay was done by then, so the first lookup waits the grace period
   * from here rather than from the send plus the timeout. Cleared by the next send.
   */
  answeredAtMs?: number;
  /**
   * The Redis server epoch (`run_id:replid`) `lastSentAtMs`, `leaseUntilMs` and
   * `answeredAtMs` were read under: under another epoch they are not compared with now,
   * the clock restarts (grace-clock.ts). Absent (written before epochs were kept): trusted.
   */
  clockEpoch?: string | undefined;
  /** When GatePay first answered "not found" since the last send (shared clock, ms). */
  notFoundAtMs?: number;
  /** The Redis server epoch (`run_id:replid`) `notFoundAtMs` was read under (grace-clock.ts). */
  notFoundEpoch?: string;
  /**
   * True once any attempt ended with an unknown outcome: from then on a business
   * rejection of a re-send may mean the first send succeeded (e.g. 500206 because the
   * first refund used the room), so it is never taken as proof that no refund exists.
   */
  hadUnknownOutcome?: boolean;
  /** The account the refund was sent under: a sub-account id, or null for merchant mode. */
  onBehalfOf?: string | null;
}

/** Contradictions between GatePay and a terminal record (attention.ts). */
export const ATTENTION_CODES = [
  /** GatePay reports the refund succeeded; we recorded it `rejected` or `failed`. */
  "SUCCESS_AFTER_REFUSAL",
  /** GatePay reports the refund in progress; we recorded it `rejected` or `failed`. */
  "PROGRESS_AFTER_REFUSAL",
  /** GatePay reports the refund failed; we recorded it `succeeded`. */
  "FAILURE_AFTER_SUCCESS",
] as const;

export type AttentionCode = (typeof ATTENTION_CODES)[number];

/** A contradiction kept on the record (field `attention`). */
export interface RefundAttention {
  code: AttentionCode;
  /** ISO-8601 time it was recorded. */
  at: string;
  /** What GatePay said against what the record says, for a person. */
  detail: string;
  /** GatePay's contradicting answer. */
  answer?: GatePayAnswer;
}

/** Poll bookkeeping: when acceptance happened and when polling gives up. */
export interface PollState {
  acceptedAtMs: number;
  deadlineAtMs: number;
}

export interface RefundRecord {
  refundRequestId: string;
  kind: RefundKind;
  /** The request exactly as validated; the same object goes to GatePay. */
  request: RefundRequestFields;
  state: RefundState;
  /** How many POSTs were sent (or may have been sent) to GatePay. */
  attempts: number;
  batchId?: string;
  gatepay?: GatePayAnswer;
  lastError?: RefundError;
  history: RefundHistoryEntry[];
  createdAt: string;
  updatedAt: string;
  submit: SubmitState;
  poll?: PollState;
  /**
   * A contradiction between GatePay and a terminal state (domain/attention.ts): set
   * when GatePay reports money moving for a refused refund, or failing for a succeeded
   * one. The refund is then in the store's attention index until a human clears it.
   */
  attention?: RefundAttention;
  /** Monotonic write counter: every write is compare-and-set on it. */
  version: number;
  /**
   * Random id of the write that stored this version (absent on a record never
   * transitioned). Compared with the version: after a failover that lost writes, a
   * version number is reused by a different write, and a writer holding the lost one
   * must not match it (README "Durability").
   */
  writeId?: string;
}
