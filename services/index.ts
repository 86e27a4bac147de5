import { serviceRegistry } from '../shared/contract/define-service';
import { DnsUpdate } from './dns-update';
import { FirewallSync } from './firewall-sync';
import { NetConfig, NetConfigPull } from './net-config';
import { Ping } from './ping';

export * from './net-config';
export * from './dns-update';
export * from './firewall-sync';
export * from './ping';
export * from './schemas/firewall-rule';
export * from './schemas/generation';
export * from './schemas/interface-name';
export * from './schemas/ip-address';
export * from './schemas/mac-address';
export * from './schemas/qube-name';

/** Served by qnet-agent in every networked qube. */
export const AGENT_SERVICES = serviceRegistry([NetConfig, DnsUpdate, FirewallSync, Ping]);
/** Served by qnetd in dom0. */
export const DOM0_SERVICES = serviceRegistry([NetConfigPull, Ping]);
