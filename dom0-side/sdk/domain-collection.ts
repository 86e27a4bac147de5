import type { QubeInfo } from '../../services/admin/admin-schemas';
import { CreateQube, GetQube, ListQubes, RemoveQube } from '../../services/admin/admin-services';
import type { QubeClass } from '../inventory/qube';
import type { AdminConnection } from './admin-connection';
import { Domain } from './domain';
import { PushBatch } from './push-batch';
import { QubeNotFoundError } from './sdk-errors';

export interface CreateOptions {
  readonly klass?: QubeClass;
  readonly netvm?: string | null;
  readonly providesNetwork?: boolean;
  /** qvm-create -l: one of Qubes' labels (red, green…), shown by prefs. */
  readonly label?: string;
  readonly qid?: number;
  readonly dispid?: number;
}

/** `app.domains`: iterate, get, has; create and remove are the embedded store's qvm-create and qvm-remove. */
export class DomainCollection implements AsyncIterable<Domain> {
  constructor(private readonly admin: AdminConnection) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Domain> {
    for (const q of await this.list()) yield new Domain(this.admin, q.name);
  }

  /** Every qube with its prefs, in name order. */
  async list(): Promise<QubeInfo[]> {
    return (await this.admin.call(ListQubes, {})).qubes;
  }

  /** Throws QubeNotFoundError when there is no such qube. */
  async get(name: string): Promise<Domain> {
    await this.admin.call(GetQube, { name });
    return new Domain(this.admin, name);
  }

  async has(name: string): Promise<boolean> {
    try {
      await this.admin.call(GetQube, { name });
      return true;
    } catch (err) {
      if (err instanceof QubeNotFoundError) return false;
      throw err;
    }
  }

  async create(name: string, opts: CreateOptions = {}): Promise<Domain> {
    await this.admin.call(CreateQube, { name, ...opts });
    return new Domain(this.admin, name);
  }

  async remove(name: string): Promise<PushBatch> {
    return new PushBatch(this.admin, (await this.admin.call(RemoveQube, { name })).pushes);
  }
}
