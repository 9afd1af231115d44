/** gatepay-refund-worker: the library surface (see README.md). */
export * from "./gatepay/signing.js";
