import { Global, Module } from '@nestjs/common';
import { loadConfigOrExit } from '@zhengming/config';
import { ISSUANCE_FAULTS, type IssuanceFaults } from '@zhengming/certificates';
import { exitOnStartFailure, startWorker } from '../../apps/worker/src/start-worker';

/**
 * The real worker, killed with SIGKILL right after it has signed and stored a certificate and before
 * it records it: the crash the issuer must survive without issuing twice.
 */
const crashAfterStore: IssuanceFaults = {
  afterStore: () => {
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => undefined);
  },
};

@Global()
@Module({ providers: [{ provide: ISSUANCE_FAULTS, useValue: crashAfterStore }], exports: [ISSUANCE_FAULTS] })
class CrashAfterStore {}

startWorker(loadConfigOrExit(), [CrashAfterStore]).catch(exitOnStartFailure);
