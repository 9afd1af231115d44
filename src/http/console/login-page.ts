/** The console's sign-in form: the API token, once, for a session cookie. */
import { CONSOLE_PATH, html, type Html } from "./html.js";

/** The form; `error` says why the last try failed. */
export function loginBody(next: string, error: string | undefined): Html {
  return html`${error ? html`<p class="flash flash-error" role="alert">${error}</p>` : ""}
    <form method="post" action="${CONSOLE_PATH}/login" class="login">
      <input type="hidden" name="next" value="${next}" />
      <label for="token">API token</label>
      <input
        id="token"
        name="token"
        type="password"
        required
        autocomplete="current-password"
        autofocus
      />
      <button type="submit">Sign in</button>
    </form>
    <p class="note">
      The session lasts 8 hours and ends when the token changes. Replaying a refund also asks for
      the admin token.
    </p>`;
}
