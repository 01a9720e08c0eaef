/** An integer token past 2^53 outside a string literal: JSON.parse would round it. */
const LONG_DIGITS = /\d{16,}/;

/**
 * Quotes every JSON integer that no JS number holds exactly (past 2^53), so it parses as its
 * decimal string: Feast's Python client sends int64 entity keys as plain JSON integers, and
 * frec reads an int64 key given as digits exactly. Bodies without a 16-digit run (nearly all)
 * are returned as they are; the scan skips string literals and leaves floats and exponents alone.
 */
export function quoteUnsafeIntegers(text: string): string {
  if (!LONG_DIGITS.test(text)) return text;
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
      continue;
    }
    if (c !== 45 /* - */ && (c < 48 || c > 57)) continue;
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) continue;
    const token = m[0];
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(Number(token))) {
      out += `${text.slice(last, i)}"${token}"`;
      last = i + token.length;
    }
    i += token.length - 1;
  }
  return out + text.slice(last);
}
