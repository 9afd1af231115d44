/** The GatePay client package: signing, endpoints, schemas, errors, classification, webhooks. */
export * from "./signing.js";
export * from "./endpoints.js";
export * from "./schemas.js";
export * from "./errors.js";
export * from "./classify-failure.js";
export * from "./refund-status.js";
export * from "./webhook.js";
export * from "./client.js";
export * from "./send-deadline.js";
export * from "./tracing.js";
