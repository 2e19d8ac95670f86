import type { Probe } from '../../src/upgrade/poll.js';
import type { UpgradeOptions } from '../../src/upgrade/upgrade.js';

/**
 * Upgrade options for a run without a server or a clock: the probes answer in turn (the last one
 * repeats), time moves only when the poll sleeps, and the calls are counted.
 */
export function fakeUpgradeOptions(probes: Probe[], extra: Partial<UpgradeOptions> = {}): { options: UpgradeOptions; calls: () => number } {
  let now = 0;
  let calls = 0;
  const options: UpgradeOptions = {
    intervalMs: 1000,
    waitMs: 30_000,
    clock: () => now,
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    sleep: async (ms) => {
      now += ms;
    },
    probe: async () => {
      calls += 1;
      return probes[Math.min(calls - 1, probes.length - 1)] as Probe;
    },
    ...extra,
  };
  return { options, calls: () => calls };
}
