import { ConflictError, ForbiddenError, QnetError, quote } from '../shared/errors/qnet-error';

/** `qnet sim` touches namespaces and nftables: only root may. */
export class NotRootError extends ForbiddenError {
  constructor() {
    super('qnet sim must run as root (network namespaces, veth pairs, nftables)');
  }
}

export class SimAlreadyUpError extends ConflictError {
  constructor(dir: string) {
    super(`the simulation in ${quote(dir, 200)} is already up (qnet sim down first)`);
  }
}

export class SimNotUpError extends QnetError {
  readonly code = 'UNAVAILABLE';
  constructor(dir: string) {
    super(`no simulation is up in ${quote(dir, 200)} (qnet sim up first)`);
  }
}

/** A step of `up` failed; the message names the step and the tool's first line of complaint. */
export class SimStepError extends QnetError {
  readonly code = 'APPLY_FAILED';
  constructor(step: string, detail: string) {
    super(`${step}: ${detail.trim().split('\n')[0]?.slice(0, 300) ?? ''}`);
  }
}

export class MissingToolError extends QnetError {
  readonly code = 'UNAVAILABLE';
  constructor(tool: string) {
    super(`${quote(tool)} is not on PATH (the simulation needs ip, nft and dnsmasq)`);
  }
}
