import sinon from 'sinon';
import { encode, unpackStrict } from '../../../../shared/codec/strict-unpackr';
import { ServiceClient } from '../../../../shared/transport/service-client';
import type { InvokeOptions, Transport } from '../../../../shared/transport/transport';
import { silentLogger, type Logger } from '../../../../shared/logging/logger';
import { GenerationCounter, type GenerationCeilingStore } from '../../../../dom0-side/reconciler/generation-counter';
import { Reconciler } from '../../../../dom0-side/reconciler/reconciler';
import type { ReconcilerOptions } from '../../../../dom0-side/reconciler/reconciler-options';

export interface Push {
  readonly target: string;
  readonly service: string;
  readonly request: Record<string, unknown> & { generation: number };
  readonly opts: InvokeOptions;
}

/** What an agent answers for one push: a generation to report, or an error to throw. */
export type Answer =
  | {
      appliedGeneration?: number;
      error?: Error;
      wait?: Promise<void>;
      /** FirewallSync: the rules the agent could not install. */
      failures?: { client: string; rule?: number; message: string }[];
    }
  | undefined;

/**
 * A Transport that stands in for every agent: it decodes the request the
 * real ServiceClient encoded, records it, and answers as an agent would
 * (the generation it was sent) unless `behave` says otherwise.
 */
export function fakeAgents(behave: (push: Push) => Answer = () => undefined) {
  const pushes: Push[] = [];
  const invoke = sinon.fake(async (target: string, service: string, payload: Uint8Array, opts: InvokeOptions) => {
    const push: Push = { target, service, request: unpackStrict(payload) as Push['request'], opts };
    pushes.push(push);
    const answer = behave(push);
    if (answer?.wait) await answer.wait;
    if (answer?.error) throw answer.error;
    const appliedGeneration = answer?.appliedGeneration ?? push.request.generation;
    const result =
      service === 'qubes.FirewallSync'
        ? { appliedGeneration, failures: answer?.failures ?? [] }
        : { appliedGeneration };
    return encode({ ok: true, result });
  });
  const transport: Transport = { invoke };
  return { transport, invoke, pushes };
}

export function memoryCeilingStore(initial = 0): GenerationCeilingStore & { saved: number[] } {
  const saved: number[] = [];
  return {
    saved,
    load: async () => saved.at(-1) ?? initial,
    save: async (c: number) => {
      saved.push(c);
    },
  };
}

export const FAST_OPTIONS: ReconcilerOptions = {
  concurrency: 1,
  callTimeoutMs: 1234,
  attempts: 3,
  backoffMs: 1,
  maxBackoffMs: 4,
  jitter: 0,
};

export function reconcilerWith(
  transport: Transport,
  opts: Partial<ReconcilerOptions> = {},
  extra: { store?: GenerationCeilingStore; now?: () => number; logger?: Logger } = {},
) {
  const reconciler = new Reconciler(
    new ServiceClient(transport),
    new GenerationCounter(extra.store ?? memoryCeilingStore()),
    { ...FAST_OPTIONS, ...opts },
    { now: extra.now ?? (() => 1_700_000_000_000) },
    extra.logger ?? silentLogger,
  );
  return { reconciler };
}

export const sent = (pushes: readonly Push[]) => pushes.map((p) => `${p.target} ${p.service}`);
