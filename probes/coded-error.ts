/**
 * The one shape of every error this package throws: a stable `code` from its layer's catalogue
 * (docs/errors.md lists them all), a message saying what failed and what to do, and the `cause` it
 * wraps. The library's errors (ProbeError, PacketDecodeError, PacketEncodeError) extend it, each with
 * its own code type, so `instanceof` still tells them apart; the exporter's ExporterError implements
 * the same shape without extending it (exporter/errors.ts says why), so test `code`, not
 * `instanceof CodedError`, to handle an error of either layer.
 */
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
