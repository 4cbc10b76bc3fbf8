/**
 * A YAML writer for plain JSON data (objects, arrays, strings, numbers,
 * booleans, null): block mappings and sequences, scalar lists inline, strings
 * double-quoted with JSON escapes (valid YAML). Enough for config.yaml; the
 * reader is PyYAML.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** PyYAML (YAML 1.1) reads 1e-7 as a string: exponents need a dot in the mantissa (1.0e-7). */
const number = (v: number) => String(v).replace(/^(-?\d+)e/, '$1.0e');
const scalar = (v: Json): string => (v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? number(v) : String(v));
const isScalar = (v: Json) => v === null || typeof v !== 'object';
/** Plain keys, quoted where YAML 1.1 would read them as something else (on/off/yes/no are booleans). */
const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !/^(y|n|yes|no|on|off|true|false|null)$/i.test(k) ? k : JSON.stringify(k));

function lines(v: Json, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.every(isScalar)) return [`[${v.map(scalar).join(', ')}]`];
    return v.flatMap((item) => {
      const inner = isScalar(item) ? [scalar(item)] : lines(item, indent + '  ');
      return [`${indent}- ${inner[0]!.trimStart()}`, ...inner.slice(1)];
    });
  }
  if (v !== null && typeof v === 'object') {
    const out: string[] = [];
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      if (isScalar(val) || (Array.isArray(val) && val.every(isScalar))) out.push(`${indent}${key(k)}: ${lines(val, '')[0]}`);
      else if (Array.isArray(val) && val.length === 0) out.push(`${indent}${key(k)}: []`);
      else if (!Array.isArray(val) && Object.keys(val).length === 0) out.push(`${indent}${key(k)}: {}`);
      else out.push(`${indent}${key(k)}:`, ...lines(val, indent + '  '));
    }
    return out;
  }
  return [scalar(v)];
}

export function toYaml(value: Record<string, unknown>): string {
  // JSON round trip: drops undefined, turns tuples into arrays
  return lines(JSON.parse(JSON.stringify(value)) as Json, '').join('\n') + '\n';
}
