import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { lazy } from './lazy';

const tsyringe = lazy<typeof import('tsyringe')>(require, 'tsyringe');

/** A factory for a value that controllers can have injected. */
export type Provider = () => unknown;

/**
 * The values controllers can have injected, by class or token, and the
 * tsyringe container they are registered in: created (and tsyringe loaded)
 * only when something is first resolved, so a run that injects nothing
 * never loads it.
 */
export class Providers {
  private readonly providers = new Map<unknown, Provider>();
  private tsyringeContainer?: DependencyContainer;

  /** @param given The container to register in (`AppOptions.container`); default a child of tsyringe's global one. */
  constructor(private readonly given: DependencyContainer | undefined) {}

  /** The container, every provider registered in it; created on first use. */
  get container(): DependencyContainer {
    if (!this.tsyringeContainer) {
      const container = this.given ?? tsyringe().container.createChildContainer();
      for (const [token, provider] of this.providers) register(container, token, provider);
      this.tsyringeContainer = container;
    }
    return this.tsyringeContainer;
  }

  /** Makes `provider`'s value injectable by `token`, replacing what the token gave before. */
  provide(token: unknown, provider: Provider): void {
    this.providers.set(token, provider);
    if (this.tsyringeContainer) register(this.tsyringeContainer, token, provider);
  }

  /** The provider registered for a token, if any. */
  providerFor(token: unknown): Provider | undefined {
    return this.providers.get(token);
  }
}

function register(container: DependencyContainer, token: unknown, provider: Provider): void {
  container.register(token as InjectionToken, { useFactory: () => provider() });
}
