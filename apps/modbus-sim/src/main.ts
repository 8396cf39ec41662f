import { runMain } from '@gw/service-kit';
import { runSimulator } from './run';

runMain(runSimulator);
