/**
 * The names of the two BullMQ queues. Producer, workers, the dashboard and the bench all
 * take them from here, so a queue is never addressed by a name spelled twice.
 */
export const QUEUE_NAMES = {
  submit: "refund-submit",
  poll: "refund-poll",
} as const;
