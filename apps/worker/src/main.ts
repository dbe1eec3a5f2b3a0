import { loadConfigOrExit } from '@zhengming/config';
import { exitOnStartFailure, startWorker } from './start-worker';

startWorker(loadConfigOrExit()).catch(exitOnStartFailure);
