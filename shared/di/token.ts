import type { InjectionToken } from 'tsyringe';

/**
 * A DI key for an interface. The interface and its token share one name, so a
 * consumer imports one symbol and writes `@inject(Foo) foo: Foo`. Explicit
 * tokens survive bundlers and loaders that drop decorator metadata.
 */
export const token = <T>(name: string): InjectionToken<T> => Symbol(name);
