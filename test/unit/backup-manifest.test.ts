// What a backup's manifest says it holds comes from mongodump's own log.
import { describe, expect, it } from 'vitest';
import { dumpedCollections } from '../../src/activities/database/backups.ts';

describe('dumpedCollections', () => {
  it("reads mongodump 100.x's lines (namespaces in backticks), sorted by namespace", () => {
    const log = [
      '2026-11-28T10:51:33.094+0000\twriting `admin.system.users` to `archive on stdout`',
      '2026-11-28T10:51:33.184+0000\tdone dumping `smartsmoker.cooks` (250 documents)',
      '2026-11-28T10:51:33.102+0000\tdone dumping `admin.system.users` (2 documents)',
      '2026-11-28T10:51:33.190+0000\tdone dumping `smartsmoker.settings` (1 document)',
    ].join('\n');
    expect(dumpedCollections(log)).toEqual([
      { namespace: 'admin.system.users', documents: 2 },
      { namespace: 'smartsmoker.cooks', documents: 250 },
      { namespace: 'smartsmoker.settings', documents: 1 },
    ]);
  });

  it('reads older tools without backticks, and nothing from a log without counts', () => {
    expect(dumpedCollections('done dumping smartsmoker.cooks (3 documents)')).toEqual([{ namespace: 'smartsmoker.cooks', documents: 3 }]);
    expect(dumpedCollections('writing smartsmoker.cooks to archive')).toEqual([]);
  });
});
