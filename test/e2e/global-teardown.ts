import type { StageProcess } from '../helpers/stage-process';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __LOCAL_STAGE__?: StageProcess }).__LOCAL_STAGE__?.stop();
}
