/**
 * Parse `name,key=value,key2=value2` specs, as `--device` and `--plugin`
 * take them (the QEMU `-device` syntax).
 *
 * @module
 */

/** A parsed spec: the leading name and its options. */
export interface Spec {
  /** The leading name (device type or module specifier). */
  readonly name: string;
  /** The key=value options. */
  readonly options: Readonly<Record<string, string>>;
}

/**
 * Parse a spec. Commas can be doubled (`,,`) to put a literal comma in a
 * value, as QEMU allows. A bare `key` without `=` means `key=on`.
 */
export function parseSpec(text: string): Spec {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ",") {
      if (text[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      parts.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  const [name, ...rest] = parts;
  if (!name) throw new SyntaxError(`empty name in "${text}"`);
  const options: Record<string, string> = {};
  for (const kv of rest) {
    if (kv === "") continue;
    const eq = kv.indexOf("=");
    if (eq < 0) options[kv] = "on";
    else options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { name, options };
}

/**
 * Parse an integer option value: decimal, 0x hex, 0o octal or 0b binary.
 * Returns undefined when the text is not a valid non-negative integer.
 */
export function parseIntOption(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!/^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}
