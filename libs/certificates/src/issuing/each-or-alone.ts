/**
 * `work` on the whole group, and where that throws, on each item alone: a shared transaction rolls
 * back whole, and its items then succeed or fail on their own. Results in the order of the items.
 */
export async function eachOrAlone<T, R>(
  items: readonly T[],
  work: (group: readonly T[]) => Promise<R[]>,
): Promise<(R | { error: unknown })[]> {
  if (items.length === 0) return [];
  try {
    return await work(items);
  } catch (error) {
    if (items.length === 1) return [{ error }];
  }
  const results: (R | { error: unknown })[] = [];
  for (const item of items) {
    try {
      results.push((await work([item]))[0]);
    } catch (error) {
      results.push({ error });
    }
  }
  return results;
}
