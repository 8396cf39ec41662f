import 'reflect-metadata';
import { runMain } from '@gw/service-kit';
import { runCoreCommand } from './run';

runMain(runCoreCommand);
