import { runMain } from '@gw/service-kit/run-main';
import { runConsole } from './run';

runMain(runConsole);
