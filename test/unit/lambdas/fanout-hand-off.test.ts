import fc from 'fast-check';
import { HAND_OFF_FRAME_BYTES, handOffChunks } from '../../../lambdas/lib/fanout';

describe('handOffChunks', () => {
  it('keeps every frame once, in order, each chunk within the budget unless one frame alone exceeds it', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 50 }), { maxLength: 30 }), fc.integer({ min: 1, max: 120 }), (frames, budget) => {
        const chunks = handOffChunks(frames, budget);
        expect(chunks.flat()).toEqual(frames);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          if (chunk.length > 1) expect(chunk.reduce((sum, frame) => sum + Buffer.byteLength(frame), 0)).toBeLessThanOrEqual(budget);
        }
      }),
    );
  });

  it('leaves room in the 1 MB Event payload for the ids and the JSON around them', () => {
    expect(HAND_OFF_FRAME_BYTES).toBeLessThanOrEqual(1024 * 1024 - 200 * 1024);
    expect(handOffChunks(['a'.repeat(500 * 1024), 'b'.repeat(500 * 1024)]).map((chunk) => chunk.length)).toEqual([1, 1]);
  });
});
