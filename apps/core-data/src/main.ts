import 'reflect-metadata';
import { runMain } from '@gw/service-kit';
import { runCoreData } from './run';

runMain(runCoreData);
