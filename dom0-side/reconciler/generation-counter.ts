import { existsSync } from 'node:fs';
import { inject, injectable } from 'tsyringe';
import { z } from 'zod';
import { token } from '../../shared/di/token';
import { describeIssue } from '../../shared/errors/describe-issue';
import { QnetError } from '../../shared/errors/qnet-error';
import { atomicWriteFile } from '../../shared/fs/atomic-write';
import { FileTooLargeError, readRegularFile, UnreadableFileError } from '../../shared/fs/read-regular-file';
import { Logger } from '../../shared/logging/logger';
import { Clock, systemClock } from './timers';
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
/**
 * Files whose presence proves qnetd ran here before (its inventory): beside
 * any of them, a missing ceiling file was lost, not never written.
 */
export const GenerationWitnessPaths = token<readonly string[]>('GenerationWitnessPaths');

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

/** The ceiling file is a one-line JSON object; anything bigger is not one. */
const MAX_CEILING_FILE_BYTES = 4096;

export class UnreadableGenerationStateError extends QnetError {
  readonly code = 'UNAVAILABLE';
  constructor(path: string, reason: string) {
    super(`generation file ${JSON.stringify(path)} cannot be read: ${reason}; it was left untouched`);
  }
}

@injectable()
export class FileGenerationCeilingStore implements GenerationCeilingStore {
  /** The witness found when this process started, before it could write one itself. */
  private readonly previousRun: string | undefined;

  constructor(
    @inject(GenerationStatePath) private readonly path: string,
    @inject(GenerationWitnessPaths) witnesses: readonly string[] = [],
    @inject(Logger) private readonly log?: Logger,
    @inject(Clock) private readonly clock: Clock = systemClock,
  ) {
    this.previousRun = witnesses.find((w) => existsSync(w));
  }

  async load(): Promise<number> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readRegularFile(this.path, MAX_CEILING_FILE_BYTES);
    } catch (err) {
      if (err instanceof UnreadableFileError) throw new UnreadableGenerationStateError(this.path, err.reason);
      if (err instanceof FileTooLargeError) throw new CorruptGenerationStateError(this.path, 'too large');
      throw err;
    }
    if (bytes === undefined) return this.missingCeiling();
    const text = bytes.toString('utf8');
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

  /**
   * No ceiling file. On a first run generations start at 1. Beside an
   * existing inventory the file was lost, and generations already handed out
   * are unknown: starting again at 1 would make every agent ignore qnetd's
   * pushes as replays. qnetd then continues above the wall clock in
   * milliseconds, far above anything earlier runs could have reached (each
   * run uses blocks of a million from 1, so that takes over a million
   * restarts); an agent that still holds a higher one raises the counter
   * when it answers (raiseAbove).
   */
  private missingCeiling(): number {
    if (this.previousRun === undefined) return 0;
    const floor = Math.floor(this.clock.now());
    this.log?.warn(
      `generation file ${JSON.stringify(this.path)} is missing beside ${JSON.stringify(this.previousRun)}: ` +
        `continuing above ${floor} (the wall clock in ms) so agents do not take new pushes for replays`,
    );
    return floor;
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
