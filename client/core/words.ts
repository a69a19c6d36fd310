// Owns how post text is cut into search words, so every store matches a search the same way. Pure.

/** Lower-cased letter-and-digit runs, each once. */
export function searchWords(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean))];
}

/** Whether every query word starts some word of the text: "ca tr" finds "Cat on a TRAIN". */
export function matchesQuery(textWords: readonly string[], queryWords: readonly string[]): boolean {
  return queryWords.every((q) => textWords.some((w) => w.startsWith(q)));
}
