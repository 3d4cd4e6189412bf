/** Stable codes of the errors the exporter and its CLI report. */
export type ExporterErrorCode = 'ERR_USAGE' | 'ERR_RESOLVE' | 'ERR_CONFIG';

export class ExporterError extends Error {
  override readonly name = 'ExporterError';
  constructor(
    readonly code: ExporterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string): ExporterError => new ExporterError('ERR_USAGE', message);
