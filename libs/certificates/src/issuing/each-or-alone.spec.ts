import { eachOrAlone } from './each-or-alone';

describe('eachOrAlone', () => {
  /** Squares numbers as a group; a group holding a negative number fails whole, as a transaction would. */
  function squares(calls: number[][]) {
    return (group: readonly number[]): Promise<number[]> => {
      calls.push([...group]);
      if (group.some((n) => n < 0)) return Promise.reject(new Error(`negative: ${group.join(',')}`));
      return Promise.resolve(group.map((n) => n * n));
    };
  }

  it('works a group once when it succeeds', async () => {
    const calls: number[][] = [];
    expect(await eachOrAlone([1, 2, 3], squares(calls))).toEqual([1, 4, 9]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('works each item alone after the group failed, so only the bad item fails', async () => {
    const calls: number[][] = [];
    const results = await eachOrAlone([1, -2, 3], squares(calls));
    expect(results).toEqual([1, { error: new Error('negative: -2') }, 9]);
    expect(calls).toEqual([[1, -2, 3], [1], [-2], [3]]);
  });

  it('does not try a single item twice, and does nothing for none', async () => {
    const calls: number[][] = [];
    expect(await eachOrAlone([-1], squares(calls))).toEqual([{ error: new Error('negative: -1') }]);
    expect(await eachOrAlone([], squares(calls))).toEqual([]);
    expect(calls).toEqual([[-1]]);
  });
});
