import winston from 'winston';
import { token } from '../di/token';

/** The slice of winston that qnet code uses; a test can hand in a sinon fake. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}
export const Logger = token<Logger>('Logger');

export interface LogOptions {
  level?: 'error' | 'warn' | 'info' | 'debug';
  /** One JSON object per line, for journald's structured fields or a log shipper. */
  json?: boolean;
  /** Prefix for the text form, e.g. the process name. */
  label?: string;
}

export function logOptionsFromEnv(env: NodeJS.ProcessEnv, label: string): LogOptions {
  const level = env.QNET_LOG_LEVEL;
  return {
    label,
    json: env.QNET_LOG_FORMAT === 'json',
    level: level === 'error' || level === 'warn' || level === 'info' || level === 'debug' ? level : 'info',
  };
}

/**
 * Everything goes to stderr: in the executable form stdout carries the
 * envelope, and under systemd stderr is the journal. No timestamps in the
 * text form, since journald adds its own.
 */
export function createLogger(opts: LogOptions = {}): Logger {
  const text = winston.format.printf(({ level, message, ...meta }) => {
    const extra = Object.entries(meta)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${opts.label ? `${opts.label}: ` : ''}${level}: ${String(message)}${extra ? ` ${extra}` : ''}`;
  });
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: opts.json ? winston.format.combine(winston.format.timestamp(), winston.format.json()) : text,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** For tests and quiet tools. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
