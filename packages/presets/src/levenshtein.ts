/** Edit distance (insert, delete, substitute), case-insensitive: users mistype names. */
export function levenshtein(a: string, b: string): number {
  const s = a.toLowerCase();
  const u = b.toLowerCase();
  let prev = Array.from({ length: u.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= u.length; j++) {
      const cost = s[i - 1] === u[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[u.length] ?? 0;
}

/**
 * Names close to `input`, best first: small edit distance relative to length, or one containing
 * the other (so `phi-3-mini` finds every phi-3-mini variant).
 */
export function closeMatches(input: string, names: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  const budget = Math.max(2, Math.floor(needle.length / 3));
  return names
    .map((name) => {
      const hay = name.toLowerCase();
      const distance = levenshtein(needle, hay);
      const contains = needle.length >= 3 && (hay.includes(needle) || needle.includes(hay));
      return { name, distance, ok: distance <= budget || contains };
    })
    .filter((m) => m.ok)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((m) => m.name);
}
