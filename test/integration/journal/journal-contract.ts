/**
 * The one contract every Journal implementation passes (DESIGN.md §6). `make` returns a fresh, migrated journal
 * for each test; `cleanup` (optional) runs once after the suite. Timestamps that the store stamps itself are
 * only compared for order; the ones passed in must come back as the same instants.
 */
import { afterAll, afterEach, describe } from '@jest/globals';
import type { Journal } from '../../../src/journal/journal.js';
import type { SqlJournal } from '../../../src/journal/sql/store.js';
import { recordContract } from './contract-records.js';
import { typedRecordContract } from './contract-typed-records.js';
import { waveContract } from './contract-waves.js';

export { migrationResult, plannedRuntime } from './contract-fixtures.js';

/**
 * The contract. `open` (optional) gives a fresh journal that is not migrated yet, to build one as an older version
 * left it (`migrate(upTo)`) and check what a newer version makes of it.
 */
export function journalContract(name: string, make: () => Promise<Journal>, opts: { cleanup?: () => Promise<void>; open?: () => Promise<SqlJournal> } = {}): void {
  describe(`${name}: Journal contract`, () => {
    let open: Journal[] = [];
    const journal = async () => {
      const j = await make();
      open.push(j);
      return j;
    };
    afterEach(async () => {
      await Promise.all(open.map((j) => j.close()));
      open = [];
    });
    if (opts.cleanup) afterAll(opts.cleanup);

    waveContract(journal);
    recordContract(journal);
    typedRecordContract(journal, opts.open && (async () => {
      const j = await opts.open!();
      open.push(j);
      return j;
    }));
  });
}
