import type { ArgumentSpec } from './metadata';
import { isNegativeNumber } from './python-numbers';

/**
 * The options one command line accepts, by flag (`-f`, `--foo`). Two arguments
 * that claim the same flag on one command line are a programming error.
 */
export class OptionTable {
  private readonly byFlag = new Map<string, ArgumentSpec>();
  /**
   * Whether a flag looks like a negative number (`-1`): then words such as `-5`
   * are options, not values, as in argparse.
   */
  readonly hasNegativeNumberFlags: boolean;

  constructor(specs: readonly ArgumentSpec[]) {
    for (const spec of specs) {
      if (spec.positional) continue;
      for (const flag of spec.flags) {
        const owner = this.byFlag.get(flag);
        if (owner === spec) continue;
        if (owner) {
          throw new TypeError(
            `option '${flag}' is declared by two arguments ('${owner.dest}' and '${spec.dest}') on the same command line`,
          );
        }
        this.byFlag.set(flag, spec);
      }
    }
    this.hasNegativeNumberFlags = [...this.byFlag.keys()].some(isNegativeNumber);
  }

  /** The argument a flag belongs to, written exactly (`--foo`, `-f`). */
  get(flag: string): ArgumentSpec | undefined {
    return this.byFlag.get(flag);
  }

  /** Every flag, in declaration order. */
  flags(): string[] {
    return [...this.byFlag.keys()];
  }
}
