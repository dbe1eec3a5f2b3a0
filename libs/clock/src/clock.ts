/**
 * What time it is for the records a service writes: when an application was submitted, a certificate
 * issued or revoked, an audit entry made. A port, so that the demonstration history
 * (db/seed-history.ts) can take past years through the real services; everywhere else it is the
 * system's clock. Cryptography (a signature's time, a seal certificate's validity, a time-stamp),
 * leases, timeouts and caches keep to real time, whatever this clock says.
 */
export abstract class Clock {
  abstract now(): Date;
}

/** The system's time: what every process of the running system uses. */
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
