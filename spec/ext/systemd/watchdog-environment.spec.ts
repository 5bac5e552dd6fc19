import { expect } from 'chai';
import { Logger } from 'mortar';
import type * as NotifyModule from '../../../dist/ext/daemon/systemd-notify';
import type * as WatchdogModule from '../../../dist/ext/systemd/watchdog';
import { TextSink } from '../../helpers/streams';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/systemd, the library lives in dist/.
const { SystemdNotifier } = requireDist<typeof NotifyModule>('ext/daemon/systemd-notify');
const { Watchdog } = requireDist<typeof WatchdogModule>('ext/systemd/watchdog');

describe('Watchdog: whether systemd watches this process (sd_watchdog_enabled)', () => {
  const log = new Logger('myapp', new TextSink());
  const notifier = new SystemdNotifier(log, {});

  it('is enabled by WATCHDOG_USEC with WATCHDOG_PID naming this process, and takes both out of the environment', () => {
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '2000000', WATCHDOG_PID: '4242', OTHER: 'x' };
    const watchdog = new Watchdog(notifier, log, env, 4242);
    expect([watchdog.isEnabled, watchdog.periodUsec]).to.deep.equal([true, 2_000_000]);
    expect(env).to.deep.equal({ OTHER: 'x' });
  });

  it('is enabled without WATCHDOG_PID (what mortar hands a daemon child, whose pid it cannot know)', () => {
    const watchdog = new Watchdog(notifier, log, { WATCHDOG_USEC: '2000000' }, 4242);
    expect(watchdog.isEnabled).to.equal(true);
    expect(watchdog.environment).to.deep.equal({ WATCHDOG_USEC: '2000000' });
  });

  it('is disabled when WATCHDOG_PID names another process, yet still takes the variables away', () => {
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '2000000', WATCHDOG_PID: '1' };
    const watchdog = new Watchdog(notifier, log, env, 4242);
    expect([watchdog.isEnabled, watchdog.environment, env]).to.deep.equal([false, {}, {}]);
  });

  for (const usec of ['', '0', 'abc', '-5', '1.5']) {
    it(`is disabled by WATCHDOG_USEC=${JSON.stringify(usec)}`, () => {
      expect(new Watchdog(notifier, log, { WATCHDOG_USEC: usec }, 4242).isEnabled).to.equal(false);
    });
  }

  it('refuses a check that is not a function', () => {
    const watchdog = new Watchdog(notifier, log, {}, 4242);
    expect(() => watchdog.check('yes' as unknown as () => boolean)).to.throw(
      TypeError,
      'app.watchdog.check() needs a function',
    );
  });
});
