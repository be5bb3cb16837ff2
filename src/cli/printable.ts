// Text from a manifest (key names, values, file names) on its way to a terminal: control characters and
// bidirectional overrides are shown as escapes, so a hostile file cannot move the cursor, recolour or retitle
// the terminal, or reorder what is printed.

// C0 controls but tab (a newline would forge another finding's line), DEL, C1 controls, and the bidi embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// In JSON, C0 is escaped already; the rest is valid JSON either way.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line of text, safe to print: unsafe characters become `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** JSON text with the characters JSON.stringify leaves raw but a terminal acts on escaped (still the same JSON). */
export function printableJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, escape);
}
