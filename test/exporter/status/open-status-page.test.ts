import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../exporter/logging';
import { openStatusPage } from '../../../exporter/status';

describe('openStatusPage', () => {
  it('opens the store and routes from the package files', () => {
    const opened = openStatusPage(createLogger({ write: () => undefined }), { reload: false });
    assert.ok(opened?.routes.handles('/status/chart.js'));
  });

  it('logs ERR_STATUS_PAGE_FILES with the missing file and gives no page when its files cannot be read', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', write: (line) => lines.push(line) });
    assert.equal(openStatusPage(logger, { reload: false, publicDir: '/nonexistent/public' }), undefined);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as Record<string, string>;
    assert.equal(line.level, 'error');
    assert.equal(line.code ?? line.err_code, 'ERR_STATUS_PAGE_FILES');
    assert.match(JSON.stringify(line), /\/nonexistent\/public\/status\.css/);
  });
});
