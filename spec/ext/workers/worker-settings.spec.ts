/**
 * The workers' keys of [daemon] and [health] listen, read and checked, and
 * the crash budget that tells a crash from a crash loop (in process).
 */
import { expect } from 'chai';
import { Config } from 'mortar';
import type * as SettingsModule from '../../../dist/ext/workers/worker-settings';
import type * as BudgetModule from '../../../dist/ext/workers/crash-budget';
import type * as StopBudgetModule from '../../../dist/ext/workers/stop-budget';
import { requireDist } from '../../helpers/dist';

const { readWorkerSettings } = requireDist<typeof SettingsModule>('ext/workers/worker-settings');
const { CrashBudget } = requireDist<typeof BudgetModule>('ext/workers/crash-budget');
const { stopBudgetWarning } = requireDist<typeof StopBudgetModule>('ext/workers/stop-budget');

function settings(daemon: Record<string, unknown>, health: Record<string, unknown> = {}, cores = 8) {
  const config = new Config();
  config.merge({ daemon, health });
  return readWorkerSettings(config, () => cores);
}

describe('workers settings', () => {
  it('defaults to the single process, with a 10 s kill_timeout, no shutdown_delay, 5 crashes in 60 s, no health endpoints', () => {
    expect(settings({})).to.deep.equal({
      count: 1,
      isCluster: false,
      killTimeout: 10,
      shutdownDelay: 0,
      crashLimit: 5,
      crashWindow: 60,
      readyTimeout: 30,
      health: undefined,
    });
  });

  it('runs a cluster for 2 and more, and for auto (the available cores, even 1)', () => {
    expect(settings({ workers: '3' })).to.include({ count: 3, isCluster: true });
    expect(settings({ workers: 'auto' }, {}, 6)).to.include({ count: 6, isCluster: true });
    expect(settings({ workers: ' AUTO ' }, {}, 1)).to.include({ count: 1, isCluster: true });
    expect(settings({ workers: 1 })).to.include({ count: 1, isCluster: false });
  });

  for (const wrong of ['0', '-2', '1.5', 'many', '2000']) {
    it(`refuses workers = ${wrong}, naming the key`, () => {
      expect(() => settings({ workers: wrong })).to.throw(
        `Invalid [daemon] workers '${wrong}': expected auto or a whole number from 1 to 1024.`,
      );
    });
  }

  it('refuses a negative kill_timeout or shutdown_delay, a crash_limit under 1 and a crash_window of 0', () => {
    expect(() => settings({ kill_timeout: '-1' })).to.throw(
      "Invalid [daemon] kill_timeout '-1': expected seconds, 0 or more.",
    );
    expect(() => settings({ shutdown_delay: 'soon' })).to.throw(
      "Invalid [daemon] shutdown_delay 'soon': expected a number.",
    );
    expect(() => settings({ crash_limit: '0' })).to.throw(
      "Invalid [daemon] crash_limit '0': expected a whole number, 1 or more.",
    );
    expect(() => settings({ crash_window: '0' })).to.throw(
      "Invalid [daemon] crash_window '0': expected seconds, more than 0.",
    );
  });

  it('reads [health] listen as HOST:PORT, [IPv6]:PORT or unix:PATH', () => {
    expect(settings({}, { listen: '127.0.0.1:8081' }).health).to.deep.equal({ host: '127.0.0.1', port: 8081 });
    expect(settings({}, { listen: '[::1]:9000' }).health).to.deep.equal({ host: '::1', port: 9000 });
    expect(settings({}, { listen: '0.0.0.0:80' }).health).to.deep.equal({ host: '0.0.0.0', port: 80 });
    expect(settings({}, { listen: 'unix:/run/app/health.sock' }).health).to.deep.equal({
      path: '/run/app/health.sock',
    });
  });

  for (const wrong of ['8081', 'localhost', '127.0.0.1:0', '127.0.0.1:70000', '::1:80', 'unix:relative.sock']) {
    it(`refuses [health] listen = ${wrong}`, () => {
      expect(() => settings({}, { listen: wrong })).to.throw(/^Invalid \[health\] listen /);
    });
  }
});

describe('CrashBudget', () => {
  it('backs off from 100 ms, doubling, and calls the limit-th crash within the window a loop', () => {
    const budget = new CrashBudget(4, 10_000);
    expect(budget.record(0)).to.deep.equal({ isLoop: false, recent: 1, delayMs: 100 });
    expect(budget.record(1000)).to.deep.equal({ isLoop: false, recent: 2, delayMs: 200 });
    expect(budget.record(2000)).to.deep.equal({ isLoop: false, recent: 3, delayMs: 400 });
    expect(budget.record(3000)).to.include({ isLoop: true, recent: 4 });
  });

  it('forgets crashes older than the window', () => {
    const budget = new CrashBudget(2, 1000);
    budget.record(0);
    expect(budget.record(1000)).to.include({ isLoop: false, recent: 1, delayMs: 100 });
    expect(budget.record(1500)).to.include({ isLoop: true, recent: 2 });
  });

  it('never waits more than 5 s', () => {
    const budget = new CrashBudget(100, 1_000_000);
    let last = 0;
    for (let crash = 0; crash < 20; crash++) last = budget.record(crash).delayMs;
    expect(last).to.equal(5000);
  });
});

describe("a stop and the app's shutdownTimeout", () => {
  type App = Parameters<typeof stopBudgetWarning>[0];
  const app = (shutdownTimeout: number): App => ({ shutdownTimeout }) as App;

  it('fits when shutdown_delay + kill_timeout is not more than shutdownTimeout', () => {
    expect(stopBudgetWarning(app(10_000), settings({ workers: 2, shutdown_delay: 2, kill_timeout: 7 }))).to.equal(
      undefined,
    );
    expect(stopBudgetWarning(app(10_000), settings({ workers: 2 })), 'the defaults: both kill at 10 s').to.equal(
      undefined,
    );
    expect(stopBudgetWarning(app(10_000), settings({ shutdown_delay: 9, kill_timeout: 30 })), 'one process').to.equal(
      undefined,
    );
  });

  it('says what to change when workers would be killed while draining', () => {
    expect(stopBudgetWarning(app(10_000), settings({ workers: 2, shutdown_delay: 5 }))).to.equal(
      "[daemon] shutdown_delay (5 s) + kill_timeout (10 s) = 15 s is more than the app's shutdownTimeout (10 s): " +
        'a stop closes the app after 10 s and kills the workers still draining; raise shutdownTimeout (an App option) above it, or lower the keys',
    );
    expect(stopBudgetWarning(app(30_000), settings({ workers: 'auto', shutdown_delay: 5 }))).to.equal(undefined);
  });

  it('for one process, weighs shutdown_delay alone', () => {
    expect(stopBudgetWarning(app(10_000), settings({ shutdown_delay: 12 }))).to.match(
      /^\[daemon\] shutdown_delay \(12 s\) is more than the app's shutdownTimeout \(10 s\): a stop closes the app after 10 s and cuts the requests still running;/,
    );
  });
});
