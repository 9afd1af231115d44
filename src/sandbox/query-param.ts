/**
 * Reading a query parameter the way a lenient server must when some clients encode it
 * and others (Gate's Java SDK) append it raw.
 */

/**
 * The distinct readings of parameter `name` in `query` (without the `?`), most likely
 * first: form-decoded (`+` is a space), percent-decoded only (`+` kept), and the raw text.
 * Empty when the parameter is absent or empty.
 */
export function queryParamReadings(query: string, name: string): string[] {
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (decodeLenient(key.replace(/\+/g, " ")) !== name) continue;
    const raw = eq === -1 ? "" : pair.slice(eq + 1);
    if (raw === "") return [];
    const readings = [decodeLenient(raw.replace(/\+/g, " ")), decodeLenient(raw), raw];
    return [...new Set(readings)];
  }
  return [];
}

/** decodeURIComponent, or the text as is when it holds a malformed escape (`100%`). */
function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
