/** The local stage's settings: defaults for `npm start`, and a clear error for a bad value. */
import { localSettings } from '../../../../infra/local/settings';

describe('localSettings', () => {
  it('runs the Lambdas from their sources unless asked for the bundles', () => {
    expect(localSettings({}).lambdas).toBe('sources');
    expect(localSettings({ LOCAL_LAMBDAS: 'bundles' }).lambdas).toBe('bundles');
  });

  it('names the setting and the choices when LOCAL_LAMBDAS is neither', () => {
    expect(() => localSettings({ LOCAL_LAMBDAS: 'bundle' })).toThrow('LOCAL_LAMBDAS must be one of sources, bundles, got "bundle"');
  });

  it('refuses a port that is not one', () => {
    expect(() => localSettings({ PORT: '80a' })).toThrow(/^PORT must be a port number/);
  });
});
