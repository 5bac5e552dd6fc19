/**
 * Numbers read the way Python's `int()` and `float()` read them, since argparse
 * (and so every Cement program) converts `type=int` / `type=float` values with
 * them: surrounding whitespace is ignored, `_` may separate digits, any Unicode
 * decimal digit counts, `float()` knows `inf`, `infinity` and `nan`; neither
 * knows `0x10`, and `int()` knows no `1e3` or `7.0`.
 */

// The characters Python strips around a number: str.isspace() minus U+001C..U+001F.
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
const DIGITS = '\\d+(?:_\\d+)*';
const DIGIT = /\p{Nd}/u;
const NEGATIVE = /^-(?:\p{Nd}+|\p{Nd}*\.\p{Nd}+)$/u;
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

let built: { readonly trim: RegExp; readonly integer: RegExp; readonly float: RegExp } | undefined;

/** The patterns built from strings, made on first use: building them costs every start that reads no number. */
function patterns(): NonNullable<typeof built> {
  return (built ??= {
    trim: new RegExp(`^${SPACE}|${SPACE}$`, 'g'),
    integer: new RegExp(`^[+-]?${DIGITS}$`),
    float: new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`),
  });
}

/** Whether a command-line word looks like a negative number to argparse (`-5`, `-.5`, `-1.5`). */
export function isNegativeNumber(word: string): boolean {
  // A flag (`-f`, `--foo`) is ruled out by its second character, before the Unicode pattern is compiled.
  const second = word.charCodeAt(1);
  if (second === 45 || (second >= 65 && second <= 90) || (second >= 97 && second <= 122)) return false;
  return NEGATIVE.test(word);
}

/** The value of `text` as Python's `int()` reads it, or undefined when it reads none or it is not a safe integer. */
export function readInteger(text: string): number | undefined {
  const { trim, integer } = patterns();
  const plain = asciiDigits(text.replace(trim, ''));
  if (!integer.test(plain)) return undefined;
  const value = Number(plain.replace(/_/g, ''));
  return Number.isSafeInteger(value) ? value + 0 : undefined;
}

/** The value of `text` as Python's `float()` reads it (`inf` and `nan` included), or undefined. */
export function readFloat(text: string): number | undefined {
  const { trim, float } = patterns();
  const plain = asciiDigits(text.replace(trim, ''));
  const special = SPECIAL.exec(plain);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  return float.test(plain) ? Number(plain.replace(/_/g, '')) : undefined;
}

/** Whether `text` is an integer too large for a JavaScript number to hold exactly (Python reads it). */
export function isUnsafeInteger(text: string): boolean {
  const { trim, integer } = patterns();
  const plain = asciiDigits(text.replace(trim, ''));
  return integer.test(plain) && !Number.isSafeInteger(Number(plain.replace(/_/g, '')));
}

/**
 * Unicode decimal digits come in runs of ten, from 0 to 9 (a stability rule of the
 * standard), so a digit's value is its distance from the start of its run, modulo 10.
 */
function asciiDigits(text: string): string {
  if (/^\p{ASCII}*$/u.test(text)) return text;
  let result = '';
  for (const char of text) {
    if (char < '\x80' || !DIGIT.test(char)) {
      result += char;
      continue;
    }
    const code = char.codePointAt(0)!;
    let start = code;
    while (DIGIT.test(String.fromCodePoint(start - 1))) start--;
    result += String((code - start) % 10);
  }
  return result;
}
