import 'reflect-metadata';
import { runMain } from '@gw/service-kit';
import { runDeviceService } from './run';

runMain(runDeviceService);
