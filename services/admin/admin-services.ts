import { z } from 'zod';
import { defineService, serviceRegistry } from '../../shared/contract/define-service';
import { FeatureName, FeatureValue } from '../schemas/feature-name';
import { HostIpv4, HostIpv6 } from '../schemas/ip-address';
import {
  AdminQubeName,
  ChangeResult,
  FirewallRevision,
  PushResult,
  PushStatus,
  PushTarget,
  AdminEvent,
  QubeInfo,
  QubeLabel,
} from './admin-schemas';

/**
 * qnetd's admin socket: one call per connection, root only. Every change
 * answers with the pushes it caused, so a caller can wait on exactly those.
 */
const change = <R extends z.ZodType>(name: string, summary: string, request: R) =>
  defineService({ name: `qnet.admin.${name}`, summary, request, response: ChangeResult });

const QubeClass = z.enum(['AppVM', 'DispVM', 'TemplateVM', 'StandaloneVM']);
const Rules = z
  .array(z.string().max(4096, 'a firewall rule is at most 4096 characters'))
  .max(1024, 'a qube has at most 1024 firewall rules');

export const ListQubes = defineService({
  name: 'qnet.admin.List',
  summary: 'every qube with its prefs and derived network',
  request: z.strictObject({}),
  response: z.strictObject({ qubes: z.array(QubeInfo).max(10_000) }),
  maxResponseBytes: 64 * 1024 * 1024,
});

export const GetQube = defineService({
  name: 'qnet.admin.Get',
  summary: 'one qube with its prefs and derived network',
  request: z.strictObject({ name: AdminQubeName }),
  response: QubeInfo,
});

export const CreateQube = change(
  'Create',
  'add a qube to the embedded store (qvm-create)',
  z.strictObject({
    name: AdminQubeName,
    klass: QubeClass.optional(),
    netvm: AdminQubeName.nullable().optional(),
    providesNetwork: z.boolean().optional(),
    label: QubeLabel.optional(),
    qid: z.number().int().optional(),
    dispid: z.number().int().optional(),
  }),
);

export const RemoveQube = change('Remove', 'remove a qube (qvm-remove)', z.strictObject({ name: AdminQubeName }));

export const SetPower = change(
  'SetPower',
  'record that a qube started or stopped (its vif exists or not)',
  // force: halt a network provider although qubes connected to it run (refused otherwise, as qubesd).
  z.strictObject({ name: AdminQubeName, power: z.enum(['running', 'halted']), force: z.boolean().optional() }),
);

export const SetProperty = change(
  'SetProperty',
  'set netvm, provides_network, ip or ip6 (null resets to the default)',
  z.discriminatedUnion('property', [
    z.strictObject({ name: AdminQubeName, property: z.literal('netvm'), value: AdminQubeName.nullable() }),
    z.strictObject({ name: AdminQubeName, property: z.literal('provides_network'), value: z.boolean() }),
    z.strictObject({ name: AdminQubeName, property: z.literal('ip'), value: HostIpv4.nullable() }),
    z.strictObject({ name: AdminQubeName, property: z.literal('ip6'), value: HostIpv6.nullable() }),
  ]),
);

/** A Qubes property name (`netvm`, `default_dispvm`…): the key qubesd and the state file know it by. */
export const PropertyName = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'a property name is lowercase letters, digits and "_"');

export const ResetProperty = change(
  'ResetProperty',
  'return a property to its default (qvm-prefs --default): netvm follows default_netvm again',
  z.strictObject({ name: AdminQubeName, property: PropertyName }),
);

export const SetFeature = change(
  'SetFeature',
  'set a feature, or delete it with value null',
  z.strictObject({ name: AdminQubeName, feature: FeatureName, value: FeatureValue.nullable() }),
);

export const CheckFeatureWithNetvm = defineService({
  name: 'qnet.admin.FeatureCheckWithNetvm',
  summary: "a feature's value from the qube or the first netvm up its chain that has it",
  request: z.strictObject({ name: AdminQubeName, feature: FeatureName }),
  response: z.strictObject({ value: FeatureValue.nullable() }),
});

export const SetFirewall = change(
  'SetFirewall',
  "replace a qube's firewall rules (Admin API lines); null returns to the default. With expectedRevision " +
    '(the firewall_revision read before editing) the replace happens only if the rules are unchanged since, ' +
    'else it fails with REVISION_CONFLICT',
  z.strictObject({ name: AdminQubeName, rules: Rules.nullable(), expectedRevision: FirewallRevision.optional() }),
);

export const Push = change(
  'Push',
  'push every document of these running qubes again (all when empty)',
  z.strictObject({ qubes: z.array(AdminQubeName).max(10_000) }),
);

export const Status = defineService({
  name: 'qnet.admin.Status',
  summary: 'desired against applied generation per qube and service',
  request: z.strictObject({}),
  response: z.strictObject({ rows: z.array(PushStatus).max(30_000) }),
  maxResponseBytes: 64 * 1024 * 1024,
});

export const WaitPushes = defineService({
  name: 'qnet.admin.Wait',
  summary: 'wait (at most timeoutMs) until these pushes are acknowledged or failed',
  request: z.strictObject({
    targets: z.array(PushTarget).max(100_000),
    timeoutMs: z.number().int().min(0).max(600_000),
  }),
  response: z.strictObject({ complete: z.boolean(), results: z.array(PushResult).max(100_000) }),
  maxRequestBytes: 16 * 1024 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
});

export const PollEvents = defineService({
  name: 'qnet.admin.Events',
  summary: 'push events after sequence number `after`, waiting at most timeoutMs for one',
  request: z.strictObject({
    after: z.number().int().min(-1),
    timeoutMs: z.number().int().min(0).max(60_000),
  }),
  response: z.strictObject({ events: z.array(AdminEvent).max(10_000), last: z.number().int().min(-1) }),
  maxResponseBytes: 16 * 1024 * 1024,
});

/** The SDK's typed `app.call`: qnetd carries the bytes over its own transport; both ends check them. */
export const RelayCall = defineService({
  name: 'qnet.admin.Call',
  summary: "call a service in a qube through qnetd's transport",
  request: z.strictObject({
    target: AdminQubeName,
    service: z.string().max(160),
    payload: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes'),
    timeoutMs: z.number().int().min(1).max(600_000),
    maxReplyBytes: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 * 1024),
  }),
  response: z.strictObject({ reply: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes') }),
  maxRequestBytes: 16 * 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024 + 1024,
});

export const ADMIN_SERVICES = serviceRegistry([
  ListQubes,
  GetQube,
  CreateQube,
  RemoveQube,
  SetPower,
  SetProperty,
  ResetProperty,
  SetFeature,
  CheckFeatureWithNetvm,
  SetFirewall,
  Push,
  Status,
  WaitPushes,
  PollEvents,
  RelayCall,
]);
