import { runMain } from '@gw/service-kit';
import { runOpcuaSimulator } from './run';

runMain(runOpcuaSimulator);
