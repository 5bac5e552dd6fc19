/**
 * The explicit tokens of a class's constructor parameters, as tsyringe's
 * `@inject(token)` records them. tsyringe exports no reader for them (its own
 * `getParamInfo` is internal), so this is the one place that reads its
 * metadata key; spec/controller/injection-tokens.spec.ts fails if a tsyringe
 * release records them another way.
 *
 * tsyringe 4.9 and later record `{ token, multiple, isOptional }` for
 * `@inject`/`@injectAll`, and `{ token, transform, transformArgs }` for the
 * transform decorators; earlier releases the bare token.
 */

/** The metadata key tsyringe's parameter decorators write (`INJECTION_TOKEN_METADATA_KEY`). */
const TSYRINGE_TOKENS_KEY = 'injectionTokens';

/** One parameter's explicit token. */
export interface ParameterToken {
  /** What was given to `@inject(...)`. */
  readonly token: unknown;
  /**
   * Whether the parameter is a single, untransformed value (`@inject`), which
   * mortar may hand over itself when it provides the token; `@injectAll` and
   * the transform decorators are left to the container.
   */
  readonly plain: boolean;
}

interface ReflectWithOwnMetadata {
  getOwnMetadata?(key: unknown, target: object): unknown;
}

/** The explicit tokens of `target`'s constructor parameters, by index. */
export function parameterTokens(target: object): Map<number, ParameterToken> {
  const reflect = Reflect as unknown as ReflectWithOwnMetadata;
  const recorded = (reflect.getOwnMetadata?.(TSYRINGE_TOKENS_KEY, target) ?? {}) as Record<string, unknown>;
  const tokens = new Map<number, ParameterToken>();
  for (const [index, entry] of Object.entries(recorded)) {
    if (entry === undefined) continue;
    tokens.set(Number(index), describe(entry));
  }
  return tokens;
}

function describe(entry: unknown): ParameterToken {
  if (typeof entry === 'object' && entry !== null && 'token' in entry) {
    const { token, multiple, transform } = entry as { token: unknown; multiple?: unknown; transform?: unknown };
    return { token, plain: !multiple && transform === undefined };
  }
  return { token: entry, plain: true };
}
