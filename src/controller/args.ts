import { FrameworkError } from '../core/errors';
import type { ArgumentSpec } from './metadata';

/** The value type a spec carries (see `ArgumentSpec`). */
type SpecValue<Spec> = Spec extends ArgumentSpec<string, infer Value> ? Value : unknown;

/**
 * The parsed arguments a list of `arg()`s gives a command, by property name:
 * `run(a: ArgsOf<typeof spec>)` with `const spec = args(arg('title'), arg(['-n'], { type: 'integer' }))`
 * is `{ title: string; n: number | undefined }`. Combine levels with `&`:
 * `ArgsOf<typeof base> & ArgsOf<typeof spec>`.
 */
export type ArgsOf<Specs extends readonly ArgumentSpec[]> = {
  -readonly [Spec in Specs[number] as Spec['dest']]: SpecValue<Spec>;
};

/**
 * Declares the arguments of a command or controller once, keeping their types:
 * `const spec = args(arg('title'), arg(['-p', '--priority'], { type: 'integer' }))`,
 * then `@Expose({ arguments: spec })` and `add(a: ArgsOf<typeof spec>)`. A flag
 * declared twice in the list throws a {@link FrameworkError} naming it.
 */
export function args<const Specs extends readonly ArgumentSpec[]>(...specs: Specs): Specs {
  const owners = new Map<string, string>();
  for (const spec of specs) {
    for (const flag of spec.positional ? [] : spec.flags) {
      const owner = owners.get(flag);
      if (owner !== undefined)
        throw new FrameworkError(`args(): flag '${flag}' is declared twice (by '${owner}' and '${spec.dest}')`, {
          code: 'mortar.invalidDeclaration',
        });
      owners.set(flag, spec.dest);
    }
  }
  return Object.freeze([...specs]) as unknown as Specs;
}
