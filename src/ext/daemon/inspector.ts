/**
 * Node opens its inspector on SIGUSR1: a debugger on 127.0.0.1:9229 that any
 * local process able to connect drives, running code inside the process. Any
 * process of the daemon's user (often `nobody`, shared by other services) may
 * send that signal, so a daemon keeps the door shut: a `SIGUSR1` listener
 * replaces Node's own handler on every Node line (`--disable-sigusr1` exists
 * only from Node 22.14). `[daemon] inspector = true` leaves it open, and
 * `node --inspect` opens the inspector at start as usual.
 */

let isShut = false;

/** From now on SIGUSR1 calls `onSignal` instead of opening the inspector. Harmless when called again. */
export function shutInspectorDoor(onSignal: () => void): void {
  if (isShut) return;
  isShut = true;
  process.on('SIGUSR1', onSignal);
}
