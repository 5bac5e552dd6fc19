/**
 * The INI dialect: Cement's, i.e. Python's `configparser.RawConfigParser()`
 * with its defaults. Every expected value here is what configparser reads
 * from the same text (strict=True); where mortar differs on purpose, the
 * spec says so.
 */
import { expect } from 'chai';
import type * as IniFileModule from '../../dist/core/ini-file';
import { requireDist } from '../helpers/dist';

const { parseIni } = requireDist<typeof IniFileModule>('core/ini-file');

/** The sections of an INI text. */
function read(text: string): Record<string, Record<string, string>> {
  return JSON.parse(JSON.stringify(parseIni(text, 'test.conf').sections)) as Record<string, Record<string, string>>;
}

/** The message parsing `text` fails with. */
function failure(text: string): string {
  try {
    parseIni(text, 'test.conf');
  } catch (error) {
    expect(error).to.have.property('name', 'FrameworkError');
    return (error as Error).message;
  }
  return expect.fail('expected the text to be refused');
}

describe("parseIni (the INI dialect: Cement's configparser)", () => {
  describe('what Cement reads and mortar used to misread', () => {
    it('pid_file: /run/myapp.pid is the key pid_file, with ":" as the delimiter', () => {
      expect(read('[daemon]\npid_file: /run/myapp.pid\n')).to.deep.equal({ daemon: { pid_file: '/run/myapp.pid' } });
    });

    it('an indented line continues the value: "first line\\nsecond line"', () => {
      expect(read('[myapp]\ndescription = first line\n  second line\n')).to.deep.equal({
        myapp: { description: 'first line\nsecond line' },
      });
    });

    it('keys are lower-cased: PID_FILE is pid_file', () => {
      expect(read('[daemon]\nPID_FILE = /tmp/x.pid\n')).to.deep.equal({ daemon: { pid_file: '/tmp/x.pid' } });
    });

    it('[DEFAULT] is read as the DEFAULT entry, which Config makes every section inherit', () => {
      expect(read('[DEFAULT]\ndir = /srv\n[a]\nx = 1\n')).to.deep.equal({ DEFAULT: { dir: '/srv' }, a: { x: '1' } });
    });

    it('# and ; inside a value are kept: no inline comments', () => {
      expect(
        read('[s]\npassword = abc#123\nurl = http://h/p#frag\ndsn = host=a;port=5432\nnote = x ; y # z\n'),
      ).to.deep.equal({
        s: { password: 'abc#123', url: 'http://h/p#frag', dsn: 'host=a;port=5432', note: 'x ; y # z' },
      });
    });

    it('backslashes are kept as written', () => {
      expect(read('[s]\nshare = \\\\server\\share\nre = a\\;b\\#c\n')).to.deep.equal({
        s: { share: '\\\\server\\share', re: 'a\\;b\\#c' },
      });
    });

    it('quotes are part of the value', () => {
      expect(read(`[s]\nname = "hello world"\nsingle = 'x y'\nhalf = "open\nflag = "true"\n`)).to.deep.equal({
        s: { name: '"hello world"', single: "'x y'", half: '"open', flag: '"true"' },
      });
    });
  });

  describe('keys and values', () => {
    it('the first "=" or ":" ends the key, whichever comes first', () => {
      expect(read('[s]\na = b: c\nd: e = f\nurl: http://x:8080/p\nhttp://x = y\n')).to.deep.equal({
        s: { a: 'b: c', d: 'e = f', url: 'http://x:8080/p', http: '//x = y' },
      });
    });

    it('trims keys and values, keeps inner spaces, and reads empty values as empty text', () => {
      expect(read('[s]\n  my key   =   spaced value  \nsp ace  :  v\na =\nb:\nc = =\n')).to.deep.equal({
        s: { 'my key': 'spaced value', 'sp ace': 'v', a: '', b: '', c: '=' },
      });
    });

    it('lower-cases keys beyond ASCII, and keeps the case of section names ([Daemon], [default] are other sections)', () => {
      expect(read('[Daemon]\nMixedCase = 1\nÄÖ = 2\n[daemon]\na = 2\n[default]\nb = 3\n')).to.deep.equal({
        Daemon: { mixedcase: '1', äö: '2' },
        daemon: { a: '2' },
        default: { b: '3' },
      });
    });

    it('does no interpolation: %(name)s and % are text', () => {
      expect(read('[s]\nhome = /home\npath = %(home)s/x\npct = 100%\n')).to.deep.equal({
        s: { home: '/home', path: '%(home)s/x', pct: '100%' },
      });
    });

    it('reads true and false as text (Config makes them booleans)', () => {
      expect(read('[s]\nt = true\nf = false\n')).to.deep.equal({ s: { t: 'true', f: 'false' } });
    });

    it("trims Python's whitespace (no-break space, form feed), which is not JavaScript's trim()", () => {
      expect(read('[s]\na =\u00a0x\u00a0\nb = y\x0c\nc = \ufeffz\n')).to.deep.equal({
        s: { a: 'x', b: 'y', c: '\ufeffz' },
      });
    });
  });

  describe('comments', () => {
    it('a line whose first non-blank character is # or ; is a comment', () => {
      expect(read('# top\n; top\n[s]\n  # indented\n\t; tabbed\na = 1\n#b = 2\n;c = 3\nf = #start\n')).to.deep.equal({
        s: { a: '1', f: '#start' },
      });
    });

    it('a comment line inside a multi-line value is left out, and the value goes on', () => {
      expect(read('[s]\na = one\n  # skipped\n  two\n; also skipped\n  three\n')).to.deep.equal({
        s: { a: 'one\ntwo\nthree' },
      });
    });
  });

  describe('multi-line values', () => {
    it('keeps blank lines inside a value and drops trailing ones', () => {
      expect(read('[s]\na = one\n\n  two\n\n\n  three\n\n\nb = next\n')).to.deep.equal({
        s: { a: 'one\n\ntwo\n\n\nthree', b: 'next' },
      });
      expect(read('[s]\na = one\n  two\n\n   \n')).to.deep.equal({ s: { a: 'one\ntwo' } });
    });

    it('counts a line of blanks as a blank line', () => {
      expect(read('[s]\na = one\n   \n  two\n')).to.deep.equal({ s: { a: 'one\n\ntwo' } });
    });

    it('starts with an empty line when the key line has no value', () => {
      expect(read('[s]\nlist =\n  alpha\n  beta\n')).to.deep.equal({ s: { list: '\nalpha\nbeta' } });
    });

    it('continues only lines indented deeper than the key line, tabs counting as one character', () => {
      expect(read('[s]\n  a = 1\n    more\n  b = 2\n c = 3\n  d = 4\n')).to.deep.equal({
        s: { a: '1\nmore', b: '2', c: '3\nd = 4' },
      });
      expect(read('[s]\na = 1\n\tcont\nb = 2\n')).to.deep.equal({ s: { a: '1\ncont', b: '2' } });
    });

    it('reads an indented key = value or [section] line after a value as part of it, even after a blank line', () => {
      expect(read('[s]\na = 1\n  [t]\nb = 2\n')).to.deep.equal({ s: { a: '1\n[t]', b: '2' } });
      expect(read('[s]\na = 1\n\n  b = 2\n')).to.deep.equal({ s: { a: '1\n\nb = 2' } });
    });

    it('does not continue across a section header', () => {
      expect(read('[s]\na = 1\n[t]\n  b = 2\n')).to.deep.equal({ s: { a: '1' }, t: { b: '2' } });
    });
  });

  describe('section headers', () => {
    it('takes the name between the first [ and the last ], ignoring what follows', () => {
      expect(read('[s] # the s section\na = 1\n[t] trailing\nb = 2\n[a]b]\nc = 3\n[u]=x\nd = 4\n')).to.deep.equal({
        s: { a: '1' },
        t: { b: '2' },
        'a]b': { c: '3' },
        u: { d: '4' },
      });
    });

    it('keeps blanks inside the brackets, and reads a dotted name as one flat name', () => {
      expect(read('[ s ]\nx = 1\n[plugin.foo]\nenabled = true\n')).to.deep.equal({
        ' s ': { x: '1' },
        'plugin.foo': { enabled: 'true' },
      });
    });

    it('reads an indented header that continues no value as a header', () => {
      expect(read('  [s]\na = 1\n')).to.deep.equal({ s: { a: '1' } });
    });

    it('reads "[]=x" as the key "[]", as configparser does', () => {
      expect(read('[s]\n[]=x\n')).to.deep.equal({ s: { '[]': 'x' } });
    });

    it('allows [DEFAULT] twice in a file', () => {
      expect(read('[DEFAULT]\na = 1\n[s]\nx = 1\n[DEFAULT]\nb = 2\n')).to.deep.equal({
        DEFAULT: { a: '1', b: '2' },
        s: { x: '1' },
      });
    });
  });

  describe('line ends and encoding', () => {
    it('reads CRLF files, multi-line values included', () => {
      expect(read('[s]\r\na = 1\r\nb = two\r\n  three\r\n\r\nc: 3\r\n')).to.deep.equal({
        s: { a: '1', b: 'two\nthree', c: '3' },
      });
    });

    it('reads a lone CR as a line end, as Python does', () => {
      expect(read('[s]\ra = 1\rb = 2\r')).to.deep.equal({ s: { a: '1', b: '2' } });
    });

    it('skips a UTF-8 byte order mark (where configparser fails with "no section headers")', () => {
      expect(read('\ufeff[s]\na = 1\n')).to.deep.equal({ s: { a: '1' } });
    });

    it('reads a file without a final line end, and an empty file', () => {
      expect(read('[s]\na = 1')).to.deep.equal({ s: { a: '1' } });
      expect(read('')).to.deep.equal({});
    });
  });

  describe('the line of every key', () => {
    it('is kept, for messages about a value', () => {
      const { lines } = parseIni('# c\n[s]\na = 1\n  more\n\nB: 2\n[DEFAULT]\nd = x\n', 'test.conf');
      expect(JSON.parse(JSON.stringify(lines))).to.deep.equal({ s: { a: 3, b: 6 }, DEFAULT: { d: 8 } });
    });
  });

  describe('mistakes, each refused with the file and the line', () => {
    const cases: [string, string, string][] = [
      [
        'a key given twice in a section, in any case',
        '[s]\na = 1\nb = 2\nA = 3\n',
        "line 4: duplicate key 'a' in [s] (first on line 2)",
      ],
      ['a section given twice', '[s]\na = 1\n[t]\n[s]\nb = 2\n', 'line 4: duplicate section [s] (first on line 1)'],
      [
        'a key given twice in [DEFAULT], across two headers',
        '[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n',
        "line 4: duplicate key 'a' in [DEFAULT] (first on line 2)",
      ],
      ['a key before any section', '# c\n\nkey = value\n[s]\n', "line 3: 'key = value' is outside any [section]"],
      ['an indented key before any section', '  key = value\n[s]\n', "line 1: 'key = value' is outside any [section]"],
      ['a line without "=" or ":"', '[s]\na = 1\nflag\n', "line 3: expected 'key = value' or 'key: value', got 'flag'"],
      ['an empty key', '[s]\n = value\n', "line 2: missing key before '=' in '= value'"],
      ['an empty key before ":"', '[s]\n: value\n', "line 2: missing key before ':' in ': value'"],
      ['an unclosed header', '[s]\na = 1\n[section\n', "line 3: unclosed section header '[section'"],
      ['an empty header', '[s]\n[]\n', "line 2: empty section name '[]'"],
    ];
    for (const [what, text, message] of cases) {
      it(what, () => {
        expect(failure(text)).to.equal(`Malformed config file test.conf, ${message}.`);
      });
    }

    it('keeps the message on one line, shortening a long culprit and escaping control characters', () => {
      expect(failure(`[s]\n${'x'.repeat(100)}\x0b\n`)).to.equal(
        `Malformed config file test.conf, line 2: expected 'key = value' or 'key: value', got '${'x'.repeat(60)}…'.`,
      );
      expect(failure('[s]\nbell\x07\n')).to.equal(
        "Malformed config file test.conf, line 2: expected 'key = value' or 'key: value', got 'bell\\x07'.",
      );
    });
  });
});
