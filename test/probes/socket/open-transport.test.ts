import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProbeError } from '../../../probes/errors';
import type { NativeAddon, NativeRawSocket } from '../../../probes/socket/native-addon';
import { transportFactory } from '../../../probes/socket/open-transport';
import type { RawTransport, RawTransportOptions } from '../../../probes/socket/raw-transport';
import { IP_RECVERR } from '../../../probes/socket/socket-options';

const options: RawTransportOptions = { family: 4, protocol: 1, onPacket: () => {} };

function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** An addon whose sockets accept every option but `refuse` (level, name) with `code`. */
function fakeAddon(
  refuse?: { name: number; code: string },
  openError?: Error,
): NativeAddon & { closed: number } {
  const addon = {
    closed: 0,
    RawSocket: class {
      constructor() {
        if (openError) throw openError;
      }
      setOption(_level: number, name: number): void {
        if (refuse && name === refuse.name) throw errno(refuse.code, `setsockopt: ${refuse.code}`);
      }
      getOption = () => 0;
      attachFilter(): void {}
      enableTimestamps = () => 3;
      send = () => 0;
      receive = () => 0;
      drainErrors = () => 0;
      startReading(): void {}
      watchWritable(): void {}
      reportSendErrors(): void {}
      endSends(): void {}
      close(): void {
        addon.closed++;
      }
    } as unknown as new () => NativeRawSocket,
  };
  return addon;
}

/** A fallback factory that records what it opened. */
function recordingFallback() {
  const opened: RawTransportOptions[] = [];
  const fallback = (o: RawTransportOptions): RawTransport => {
    opened.push(o);
    return {
      family: o.family,
      protocol: o.protocol,
      headerIncluded: false,
      send() {},
      readNow() {},
      close() {},
    };
  };
  return { opened, fallback };
}

describe('transportFactory: the native transport where it can be, raw-socket where not', () => {
  it('no addon (not built, not Linux): every transport is the fallback', () => {
    const { opened, fallback } = recordingFallback();
    transportFactory(new Error('Cannot find module'), fallback)(options);
    assert.equal(opened.length, 1);
  });

  it('the addon works: a native transport with kernel timestamps, the fallback untouched', () => {
    const { opened, fallback } = recordingFallback();
    const transport = transportFactory(fakeAddon(), fallback)(options);
    assert.equal(opened.length, 0);
    assert.equal(transport.timestampSource, 'kernel');
    transport.close();
  });

  for (const code of ['ENOPROTOOPT', 'EINVAL', 'EOPNOTSUPP']) {
    it(`the kernel refuses IP_RECVERR with ${code}: the native socket is closed, raw-socket opened instead`, () => {
      const { opened, fallback } = recordingFallback();
      const addon = fakeAddon({ name: IP_RECVERR, code });
      transportFactory(addon, fallback)(options);
      assert.equal(opened.length, 1);
      assert.equal(addon.closed, 1, 'the refused native socket does not leak');
    });
  }

  it('a permission error is not hidden by a fallback: it says how to grant CAP_NET_RAW', () => {
    const { opened, fallback } = recordingFallback();
    const addon = fakeAddon(undefined, errno('EPERM', 'socket: Operation not permitted'));
    assert.throws(
      () => transportFactory(addon, fallback)(options),
      (error: unknown) => {
        assert.ok(error instanceof ProbeError);
        assert.equal(error.code, 'ERR_RAW_SOCKET_PERMISSION');
        return true;
      },
    );
    assert.equal(opened.length, 0);
  });

  it('a device that cannot be bound fails as it would with raw-socket (ERR_BIND_INTERFACE)', () => {
    const { opened, fallback } = recordingFallback();
    const addon = fakeAddon({ name: 25, code: 'ENODEV' });
    assert.throws(() => transportFactory(addon, fallback)({ ...options, interface: 'nope0' }), {
      code: 'ERR_BIND_INTERFACE',
    });
    assert.equal(opened.length, 0);
  });
});
