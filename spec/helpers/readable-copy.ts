/**
 * A world-readable copy of the built package, for processes a spec runs as
 * `nobody` from their start (a systemd unit with `User=nobody`, a child
 * spawned with another uid): the checkout itself may lie under a 0700
 * directory that such a process cannot enter.
 *
 * ```ts
 * const root = copyBuiltPackage(mkdtempSync(join(tmpdir(), 'mortar-copy-')));
 * spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(root, 'dist/ext/daemon/pid-file'))})`], { uid: 65534, gid: 65534 });
 * ```
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (this file runs from build/spec/helpers). */
const ROOT = resolve(__dirname, '../../..');

/**
 * A world-readable copy of the built package (package.json, dist/, the
 * compiled samples, the samples' config files and the runtime dependencies)
 * under `dir`, so that units running as `nobody` can load it even when the
 * checkout lies under a 0700 directory. `dir` is made world-searchable
 * (mode 0755). Returns the copy's root, `<dir>/app`.
 */
export function copyBuiltPackage(dir: string): string {
  chmodSync(dir, 0o755);
  const root = join(dir, 'app');
  const copy = (from: string, to: string = from): void => cpSync(join(ROOT, from), join(root, to), { recursive: true });
  copy('package.json');
  copy('dist');
  copy('build/samples');
  copy('samples');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  const pending = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})];
  const copied = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (copied.has(name) || !existsSync(join(ROOT, 'node_modules', name))) continue;
    copied.add(name);
    copy(join('node_modules', name));
    const own = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    pending.push(...Object.keys(own.dependencies ?? {}), ...Object.keys(own.optionalDependencies ?? {}));
  }
  makeWorldReadable(root);
  return root;
}

function makeWorldReadable(path: string): void {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) makeWorldReadable(full);
    else if (entry.isFile()) {
      const mode = statSync(full).mode & 0o777;
      chmodSync(full, mode | 0o444 | (mode & 0o111 ? 0o111 : 0));
    }
  }
  chmodSync(path, 0o755);
}

let nodeOutOfReach: string | null | undefined;

/**
 * Why a child running as `nobody` cannot start this very node
 * (`process.execPath`), or undefined when it can. A node unpacked under a
 * directory only its owner can enter (root's home, a private CI directory)
 * is out of reach, whatever is copied; specs that start nobody's own node
 * then skip, saying so.
 */
export function whyNobodyCannotRunNode(): string | undefined {
  if (nodeOutOfReach === undefined) {
    const probe = spawnSync(process.execPath, ['-e', '0'], {
      uid: 65534,
      gid: 65534,
      cwd: tmpdir(),
      stdio: 'ignore',
      timeout: 10_000,
    });
    nodeOutOfReach =
      probe.status === 0
        ? null
        : `nobody cannot run ${process.execPath} (${probe.error?.message ?? `exit ${probe.status ?? probe.signal}`}): ` +
          'a directory on its path is closed to others';
  }
  return nodeOutOfReach ?? undefined;
}
