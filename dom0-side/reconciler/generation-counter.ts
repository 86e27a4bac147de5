import { readFile } from 'node:fs/promises';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { token } from '../../shared/di/token';
import { describeIssue } from '../../shared/errors/describe-issue';
import { QnetError } from '../../shared/errors/qnet-error';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { SerialQueue } from '../../shared/runtime/serial-queue';

/** Where the highest generation a run may hand out is kept. */
export interface GenerationCeilingStore {
  /** 0 when nothing was ever saved. */
  load(): Promise<number>;
  /** Durable before it returns: a crash right after still finds it. */
  save(ceiling: number): Promise<void>;
}
export const GenerationCeilingStore = token<GenerationCeilingStore>('GenerationCeilingStore');
export const GenerationStatePath = token<string>('GenerationStatePath');

/** Generations handed out between two saves of the ceiling. */
export const GENERATION_BLOCK = 1_000_000;

export class CorruptGenerationStateError extends QnetError {
  readonly code = 'BAD_REQUEST';
  constructor(path: string, reason: string) {
    super(`generation file ${JSON.stringify(path)} is corrupt: ${reason}; it was left untouched`);
  }
}

const StoredCeiling = z.strictObject({
  format: z.literal('qnet-generations'),
  version: z.literal(1),
  ceiling: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

@injectable()
export class FileGenerationCeilingStore implements GenerationCeilingStore {
  constructor(@inject(GenerationStatePath) private readonly path: string) {}

  async load(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let untrustedValue: unknown;
    try {
      untrustedValue = JSON.parse(text);
    } catch {
      throw new CorruptGenerationStateError(this.path, 'not JSON');
    }
    const parsed = StoredCeiling.safeParse(untrustedValue);
    if (!parsed.success) throw new CorruptGenerationStateError(this.path, describeIssue(parsed.error.issues[0]));
    return parsed.data.ceiling;
  }

  async save(ceiling: number): Promise<void> {
    await atomicWriteFile(this.path, `${JSON.stringify({ format: 'qnet-generations', version: 1, ceiling })}\n`);
  }
}

/**
 * Generations strictly increasing across restarts and crashes, without a
 * write per push: the ceiling of a block is saved before any generation in
 * it is used, and the next run starts above the saved ceiling (hi/lo). An
 * agent therefore never sees a generation lower than one it was sent.
 */
@injectable()
export class GenerationCounter {
  private nextValue = 1;
  private ceiling = 0;
  private opened = false;
  private readonly lock = new SerialQueue();

  constructor(@inject(GenerationCeilingStore) private readonly store: GenerationCeilingStore) {}

  /** `count` consecutive generations; returns the first. */
  take(count: number): Promise<number> {
    return this.serialize(async () => {
      await this.ensure(this.nextValue + count - 1);
      const first = this.nextValue;
      this.nextValue += count;
      return first;
    });
  }

  /** After an agent showed it holds `generation` (a lost state dir, a restored qube): hand out only higher ones. */
  raiseAbove(generation: number): Promise<void> {
    return this.serialize(async () => {
      if (generation >= this.nextValue) this.nextValue = generation + 1;
    });
  }

  private async ensure(last: number): Promise<void> {
    if (!this.opened) {
      const saved = await this.store.load();
      this.nextValue = Math.max(this.nextValue, saved + 1);
      this.opened = true;
    }
    if (last > this.ceiling) {
      const ceiling = Math.max(last, this.nextValue) + GENERATION_BLOCK;
      if (ceiling > Number.MAX_SAFE_INTEGER) throw new RangeError('generations exhausted');
      await this.store.save(ceiling);
      this.ceiling = ceiling;
    }
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }
}
