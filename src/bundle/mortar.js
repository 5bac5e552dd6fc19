// @ts-check
'use strict';
/*
 * The entry of `require('mortar')` (package.json "main"; copied to dist/ by
 * the build). It runs the single-file build, dist/mortar-bundle.js, from
 * V8's code cache when it can: compiling the library and the functions a
 * command calls is the largest part of what mortar costs a program at start.
 *
 * The cache is a file in the user's own cache directory
 * ($XDG_CACHE_HOME/mortar, else ~/.cache/mortar), written by a run that
 * finds none, with the functions it compiled until it first waited. It is
 * used only when it is certain to be this very build, and the user's own:
 *
 * - it names the bundle's path, device, inode, size, mtime and ctime, and the
 *   Node version and architecture: any change to the bundle (even one that
 *   keeps its length, which is all V8 checks) changes its ctime;
 * - the file and every directory from $XDG_CACHE_HOME or $HOME down to it
 *   belong to the effective user, are writable by nobody else, and are not
 *   symbolic links, so no other user can plant one (root run with another
 *   user's HOME uses none);
 * - nothing is written once the process has switched user (a daemon that
 *   became `nobody`), or with NODE_DISABLE_COMPILE_CACHE set;
 * - V8 does not check the data it is given (release builds keep no checksum
 *   of it) and crashes the process on damaged data, so the file holds the
 *   data twice, and both copies must be the same, byte for byte, before V8
 *   sees one; the file is flushed to disk before it replaces the old one. A
 *   flipped bit, or the zeros a power loss can leave, mean no cache, and a
 *   new one is written. (Comparing two copies is one memcmp; a checksum costs
 *   more: node:crypto and node:zlib take longer to load than the cache saves,
 *   and a JavaScript hash of the data takes about as long as reading it
 *   twice, three times over: docs/performance.md, "The code cache".)
 *
 * The directory keeps the caches of the 8 most recently used installs and
 * Node versions: writing one removes the others.
 *
 * Any failure means no cache, never an error: the bundle then compiles as
 * any module does.
 */
const fs = require('node:fs');
const vm = require('node:vm');

const BUNDLE = `${__dirname}/mortar-bundle.js`;
const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = fs.constants;
/** How many caches a cache directory keeps: one per install path and Node version, the most recently used. */
const KEPT_CACHES = 8;
/** The name of a cache file (see CodeCache.forBundle). */
const CACHE_NAME = /^v[\w.-]+-[0-9a-f]{8}$/;

/** The user's cache of V8's compiled code for this build of the bundle. */
class CodeCache {
  /**
   * The cache for a bundle with these stats, or undefined when there is no
   * cache directory to look in: no HOME (or XDG_CACHE_HOME), no effective uid.
   * @param {import('node:fs').BigIntStats} stats
   * @returns {CodeCache | undefined}
   */
  static forBundle(stats) {
    const uid = process.geteuid?.();
    const { XDG_CACHE_HOME: xdg, HOME: home } = process.env;
    // The first directory must exist already; the others are created (0700) when missing.
    /** @type {string[] | undefined} */
    let directories;
    if (xdg?.startsWith('/')) directories = [xdg, `${xdg}/mortar`];
    else if (home?.startsWith('/')) directories = [home, `${home}/.cache`, `${home}/.cache/mortar`];
    if (uid === undefined || directories === undefined) return undefined;
    const header = Buffer.from(
      `mortar code cache\n${process.version} ${process.arch}\n${BUNDLE}\n` +
        `${stats.dev} ${stats.ino} ${stats.size} ${stats.mtimeNs} ${stats.ctimeNs}\n`,
    );
    const name = `${process.version}-${process.arch}-${fnv1a(BUNDLE)}`;
    return new CodeCache(directories, `${directories[directories.length - 1]}/${name}`, header, uid);
  }

  /**
   * @param {string[]} directories From the first, which must exist, down to the cache's own.
   * @param {string} file The cache file.
   * @param {Buffer} header What the file starts with: names this build, this Node and this bundle file.
   * @param {number} uid The effective user, who must own the file and every directory.
   */
  constructor(directories, file, header, uid) {
    this.directories = directories;
    this.file = file;
    this.header = header;
    this.uid = uid;
  }

  /**
   * V8's data from the cache file, or undefined when there is none this build and this user can trust, or its two copies differ.
   * @returns {Buffer | undefined}
   */
  read() {
    try {
      if (!this.directories.every((dir) => this.isOwnDirectory(dir))) return undefined;
      const fd = fs.openSync(this.file, O_RDONLY | O_NOFOLLOW);
      try {
        const stats = fs.fstatSync(fd);
        if (!stats.isFile() || stats.uid !== this.uid || (stats.mode & 0o022) !== 0) return undefined;
        const content = fs.readFileSync(fd);
        const header = this.header;
        if (content.length <= header.length || !content.subarray(0, header.length).equals(header)) return undefined;
        const half = (content.length - header.length) / 2;
        if (!Number.isInteger(half)) return undefined;
        const data = content.subarray(header.length, header.length + half);
        return data.equals(content.subarray(header.length + half)) ? data : undefined;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }

  /**
   * Writes the cache (the header, then the data twice), replacing the file in one step; `data()` is called only when it can be written.
   * @param {() => Buffer} data
   */
  write(data) {
    if (process.geteuid?.() !== this.uid) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      for (const [i, dir] of this.directories.entries()) {
        if (i > 0 && !this.exists(dir)) fs.mkdirSync(dir, { mode: 0o700 });
        if (!this.isOwnDirectory(dir)) return;
      }
      const fd = fs.openSync(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        const cached = data();
        fs.writeSync(fd, Buffer.concat([this.header, cached, cached]));
        // On disk before the rename makes it the cache: else a power loss can leave the new name on zeros.
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temporary, this.file);
      this.prune();
    } catch {
      try {
        fs.rmSync(temporary, { force: true });
      } catch {
        // a directory this user cannot search: nothing was written there either
      }
    }
  }

  /**
   * Removes all but the most recently used caches of the directory: temporary installs (npx, CI)
   * leave theirs behind. Use is told by the access time where the file system keeps one (Linux
   * updates it at most daily), else by when the cache was written. Runs only when a cache is written.
   */
  prune() {
    const dir = this.directories[this.directories.length - 1];
    /** @type {{ name: string, used: number }[]} */
    const caches = [];
    for (const name of fs.readdirSync(dir)) {
      if (!CACHE_NAME.test(name)) continue;
      const stats = fs.lstatSync(`${dir}/${name}`, { throwIfNoEntry: false });
      if (stats?.isFile() && stats.uid === this.uid)
        caches.push({ name, used: Math.max(stats.atimeMs, stats.mtimeMs) });
    }
    caches.sort((a, b) => b.used - a.used);
    for (const { name } of caches.slice(KEPT_CACHES)) fs.rmSync(`${dir}/${name}`, { force: true });
  }

  /** @param {string} path */
  exists(path) {
    return fs.lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  }

  /**
   * A real directory (not a link) of the effective user that no one else may write to.
   * @param {string} dir
   */
  isOwnDirectory(dir) {
    const stats = fs.lstatSync(dir, { throwIfNoEntry: false });
    return stats !== undefined && stats.isDirectory() && stats.uid === this.uid && (stats.mode & 0o022) === 0;
  }
}

/**
 * A short name for the bundle's path (the header holds the path itself).
 * @param {string} text
 */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

function load() {
  const fd = fs.openSync(BUNDLE, O_RDONLY);
  let stats;
  let source;
  try {
    stats = fs.fstatSync(fd, { bigint: true });
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const cache = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : CodeCache.forBundle(stats);
  const cachedData = cache?.read();
  // The build wrapped the bundle in the function a CommonJS module is run in, so the text read is
  // compiled as it is: wrapping it here would make V8 copy all of it into one string first.
  const script = new vm.Script(source, {
    filename: BUNDLE,
    cachedData,
  });
  if (cache && (cachedData === undefined || script.cachedDataRejected)) {
    // Written once the program first waits (or exits, if it never does): the cache then holds what
    // starting up compiled, not everything a long-running process (a test runner, say) went on to use,
    // which would cost every later start more to load than it saves.
    let isWritten = false;
    const write = () => {
      if (isWritten) return;
      isWritten = true;
      process.removeListener('exit', write);
      cache.write(() => script.createCachedData());
    };
    setImmediate(write);
    process.once('exit', write);
  }
  script.runInThisContext()(exports, require, module, BUNDLE, __dirname);
}

load();
