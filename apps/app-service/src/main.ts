import 'reflect-metadata';
import { runMain } from '@gw/service-kit';
import { runAppService } from './run';

runMain(runAppService);
