/**
 * The one way to give a promise a time limit. The timer is cleared as soon as either side
 * settles, so a finished wait holds no timer (nor the process) open.
 */

/**
 * Settles like `promise`, or rejects after `ms` when it has not settled by then. The
 * rejection is `onTimeout`'s error (a string is the message of a plain `Error`);
 * `onTimeout` runs when the time is up, so it may also act (kill a child process). The
 * promise itself goes on: a late rejection of it is handled, never unhandled.
 */
export function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number,
  onTimeout: string | (() => Error),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(typeof onTimeout === "string" ? new Error(onTimeout) : onTimeout()),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
