import { backoffDelay } from '../../../client/src/backoff';

describe('backoffDelay', () => {
  it('doubles the cap with each failure up to the maximum', () => {
    const top = () => 0.999999;
    const caps = [0, 1, 2, 3, 10, 40].map((failures) => backoffDelay(failures, { initialDelayMs: 100, maxDelayMs: 1000 }, top));
    expect(caps).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('spreads retries with full jitter', () => {
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(2000);
  });
});
