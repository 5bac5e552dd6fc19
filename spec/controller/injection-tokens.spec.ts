import { expect } from 'chai';
import { container, inject, injectAll, injectWithTransform } from 'tsyringe';
import { App, Controller, Expose, TOKENS } from 'mortar';
import { runApp } from 'mortar/testing';
import type * as InjectionTokensModule from '../../dist/controller/injection-tokens';
import { requireDist } from '../helpers/dist';

const { parameterTokens } = requireDist<typeof InjectionTokensModule>('controller/injection-tokens');

class Upper {
  transform(value: string): string {
    return value.toUpperCase();
  }
}

describe('the explicit tokens of constructor parameters', () => {
  // tsyringe exports no reader for what @inject records: if a release records it another way, this fails first.
  it("reads what this tsyringe's @inject, @injectAll and @injectWithTransform record", () => {
    class Target {}
    inject(TOKENS.app)(Target, undefined, 0);
    inject('maybe', { isOptional: true })(Target, undefined, 1);
    injectAll('plugins')(Target, undefined, 2);
    injectWithTransform('name', Upper)(Target, undefined, 3);
    expect([...parameterTokens(Target)].sort(([a], [b]) => a - b)).to.deep.equal([
      [0, { token: TOKENS.app, plain: true }],
      [1, { token: 'maybe', plain: true }],
      [2, { token: 'plugins', plain: false }],
      [3, { token: 'name', plain: false }],
    ]);
  });

  it('reads a bare token, as tsyringe before 4.9 recorded it', () => {
    class Target {}
    Reflect.defineMetadata('injectionTokens', { 0: App }, Target);
    expect([...parameterTokens(Target)]).to.deep.equal([[0, { token: App, plain: true }]]);
  });

  it('has none for a class without @inject', () => {
    class Target {}
    expect(parameterTokens(Target).size).to.equal(0);
  });

  it('builds a controller whose tokens the app provides without resolving anything through the container', async () => {
    const child = container.createChildContainer();
    const resolved: unknown[] = [];
    const resolve = child.resolve.bind(child);
    child.resolve = ((token: never) => {
      resolved.push(token);
      return resolve(token);
    }) as typeof child.resolve;
    let seen: unknown[] = [];
    @Controller({ label: 'base' })
    class Base {
      constructor(@inject(TOKENS.app) app: unknown, @inject(TOKENS.log) log: unknown) {
        seen = [app, log];
      }
      @Expose()
      show(): void {}
    }
    const { code, app, stderr } = await runApp('t', { controllers: [Base], container: child }, ['show']);
    expect(code, stderr).to.equal(0);
    expect(seen).to.deep.equal([app, app.log]);
    expect(resolved).to.deep.equal([]);
  });

  it('leaves @injectAll to the container', async () => {
    const child = container.createChildContainer();
    child.register('greeting', { useValue: 'hello' });
    child.register('greeting', { useValue: 'bonjour' });
    let seen: unknown;
    @Controller({ label: 'base' })
    class Base {
      constructor(@injectAll('greeting') greetings: string[]) {
        seen = greetings;
      }
      @Expose()
      show(): void {}
    }
    const { code, stderr } = await runApp('t', { controllers: [Base], container: child }, ['show']);
    expect(code, stderr).to.equal(0);
    expect(seen).to.deep.equal(['hello', 'bonjour']);
  });
});
