/**
 * Type-level only: what `arg(flags, options)` gives a command, worked out from
 * the declaration itself, so that `ArgsOf<typeof spec>` types a handler's
 * parameter. Each rule mirrors what `arg()` and the parser do at run time.
 */
import type { ArgumentOptions } from './metadata';

/** `{}` when `Options` has only keys of {@link ArgumentOptions}; each other key is required to be `never` (a type error). */
export type NoExtraKeys<Options> = { [Key in Exclude<keyof Options, keyof ArgumentOptions>]: never };

type Dashed<Name extends string> = Name extends `${infer Head}_${infer Tail}` ? Dashed<`${Head}-${Tail}`> : Name;
type Camel<Name extends string> = Name extends `${infer Head}-${infer Tail}`
  ? Tail extends `-${string}`
    ? Camel<`${Head}${Tail}`>
    : Tail extends ''
      ? Name
      : `${Head}${Capitalize<Camel<Tail>>}`
  : Name;

/** `pid-file` and `pid_file` → `pidFile`, as `camelCase()` does at run time. */
export type CamelCase<Name extends string> = Camel<Dashed<Name>>;

type FirstLong<Flags> = Flags extends readonly [infer Head, ...infer Rest]
  ? Head extends `--${infer Long}`
    ? Long
    : FirstLong<Rest>
  : never;

type FlagDest<Flags extends readonly string[]> = [FirstLong<Flags>] extends [never]
  ? Flags[0] extends `-${infer Short}`
    ? Short
    : string
  : CamelCase<FirstLong<Flags>>;

type IsPositional<Flags> = Flags extends string
  ? Flags extends `-${string}`
    ? false
    : true
  : Flags extends readonly [infer Only]
    ? Only extends `-${string}`
      ? false
      : true
    : false;

/** The property an argument fills: `dest`, else the first long flag in camelCase, the short flag's letter, or the positional's name. */
export type DestOf<Flags, Options> = Options extends { dest: infer Dest extends string }
  ? Dest
  : Flags extends string
    ? Flags extends `-${string}`
      ? FlagDest<[Flags]>
      : CamelCase<Flags>
    : Flags extends readonly string[]
      ? Flags extends readonly [string]
        ? Flags[0] extends `-${string}`
          ? FlagDest<Flags>
          : CamelCase<Flags[0]>
        : FlagDest<Flags>
      : string;

type IsNumeric<Options> = Options extends { type: 'number' | 'integer' } ? true : false;

/** One converted value: the choices when given (as text for a `string` argument), else a string or a number. */
type Item<Options> = Options extends { choices: readonly (infer Choice)[] }
  ? IsNumeric<Options> extends true
    ? [Extract<Choice, number>] extends [never]
      ? number
      : Extract<Choice, number>
    : Choice extends string
      ? Choice
      : `${Choice & number}`
  : IsNumeric<Options> extends true
    ? number
    : string;

/** A string default of a typed argument is converted, so it counts as a number. */
type DefaultOf<Options> = Options extends { default: infer Default }
  ? Default extends string
    ? IsNumeric<Options> extends true
      ? number
      : Default
    : Default
  : never;

type HasDefault<Options> = Options extends { default: unknown } ? true : false;

type Many<Options> = Options extends { nargs: '*' | '+' | number } ? true : false;

/** The `const` a bare `nargs: '?'` option gives: a string converted by a numeric `type`. */
type BareConst<Options> = Options extends { const: infer Const }
  ? Const extends string
    ? IsNumeric<Options> extends true
      ? number
      : Const
    : Const
  : undefined;

/** The `const` of `store_const` and `append_const`, as declared. */
type ConstOf<Options> = Options extends { const: infer Const } ? Const : never;

/** One occurrence: a value, an array of them, or for `nargs: '?'` the `const` when given bare. */
type Occurrence<Options> =
  Many<Options> extends true
    ? Item<Options>[]
    : Options extends { nargs: '?' }
      ? Item<Options> | BareConst<Options>
      : Item<Options>;

/** The value when nothing is given: the default, or undefined unless something always fills it. */
type Absent<Options, AlwaysGiven extends boolean> =
  HasDefault<Options> extends true ? DefaultOf<Options> : AlwaysGiven extends true ? never : undefined;

type PositionalValue<Options> = Options extends { nargs: '*' }
  ? Item<Options>[] | DefaultOf<Options>
  : Options extends { nargs: '+' | number }
    ? Item<Options>[]
    : Options extends { nargs: '?' }
      ? Item<Options> | Absent<Options, false>
      : Item<Options> | Absent<Options, Options extends { required: false } ? false : true>;

/** The declared action, `store` when there is none. */
type ActionOf<Options> = 'action' extends keyof Options
  ? Options extends { readonly action?: infer Action }
    ? Action
    : never
  : 'store';

type OptionValue<Options> = [ActionOf<Options>] extends ['store_true' | 'store_false']
  ? boolean | DefaultOf<Options>
  : [ActionOf<Options>] extends ['count']
    ? number | DefaultOf<Options>
    : [ActionOf<Options>] extends ['append']
      ? Occurrence<Options>[] | DefaultOf<Options>
      : [ActionOf<Options>] extends ['store']
        ? Occurrence<Options> | Absent<Options, Options extends { required: true } ? true : false>
        : [ActionOf<Options>] extends ['store_const']
          ? ConstOf<Options> | Absent<Options, Options extends { required: true } ? true : false>
          : [ActionOf<Options>] extends ['append_const']
            ? ConstOf<Options>[] | DefaultOf<Options>
            : [ActionOf<Options>] extends ['extend']
              ? Item<Options>[] | DefaultOf<Options>
              : [ActionOf<Options>] extends ['boolean_optional']
                ? boolean | Absent<Options, Options extends { required: true } ? true : false>
                : unknown;

/** The value an argument gives the command. */
export type ValueOf<Flags, Options> =
  IsPositional<Flags> extends true ? PositionalValue<Options> : OptionValue<Options>;
