import { homedir, userInfo } from 'node:os';

/**
 * A uid without a passwd entry and without HOME or SHELL (a container run with `--user`, OpenShift):
 * `os.homedir()` and `os.userInfo()` throw, and oclif calls both while it loads. An empty HOME makes the
 * first answer "" instead (handshake reads that as "no home directory" and does without a config file
 * and a cache); an empty SHELL keeps oclif from asking the second. A host CLI's bin calls this before
 * `execute()`; handshake's own bin does the same before it loads anything.
 */
export function guardHomelessProcess(env: NodeJS.ProcessEnv = process.env): void {
  try {
    homedir();
  } catch {
    env.HOME = '';
  }
  if (env.SHELL !== undefined) return;
  try {
    userInfo();
  } catch {
    env.SHELL = '';
  }
}
