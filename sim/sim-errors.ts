import { ConflictError, ForbiddenError, NotFoundError, QnetError, quote } from '../shared/errors/qnet-error';

/** `qnet sim` touches namespaces and nftables: only root may. */
export class NotRootError extends ForbiddenError {
  constructor() {
    super('qnet sim must run as root (network namespaces, veth pairs, nftables)');
  }
}

export class SimAlreadyUpError extends ConflictError {
  constructor(dir: string, dead: readonly string[] = []) {
    super(
      `the simulation in ${quote(dir, 200)} is already up` +
        (dead.length ? `, but ${dead.join(', ')} ${dead.length > 1 ? 'are' : 'is'} dead (qnet sim status)` : '') +
        ' (qnet sim down first to build a new one)',
    );
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

/** `qnet sim restart|kill|exec` named something the simulation has not. */
export class SimUnknownTargetError extends NotFoundError {
  constructor(name: string, known: readonly string[], what = 'qube or sim process') {
    super(`no ${what} ${quote(name)} in the simulation (one of: ${known.join(', ')})`);
  }
}

/** `qnet sim kill` of a process that is already dead. */
export class SimNotRunningError extends ConflictError {
  constructor(what: string, restart: string) {
    super(`${what} is not running (qnet sim restart ${restart} starts it)`);
  }
}

/** Another `qnet sim up` is building the simulation in this dir right now. */
export class SimStartingError extends ConflictError {
  constructor(dir: string, pid: number) {
    super(`the simulation in ${quote(dir, 200)} is being brought up by process ${pid}; wait for it to finish`);
  }
}
