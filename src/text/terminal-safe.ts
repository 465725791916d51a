/**
 * Text from the landscape (KEB account names, cluster error messages, CR descriptions) on its way to a terminal:
 * control characters other than newline and tab, and Unicode's bidirectional overrides, are shown escaped
 * (`\x1b`, `\u202e`), so that no such text can move the cursor, erase a line, retitle the window, write the
 * clipboard (OSC 52) or reorder what the SRE reads. Machine output (`--json`) needs none of this: JSON escapes them.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
