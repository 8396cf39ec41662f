import 'reflect-metadata';
import { runMain } from '@gw/service-kit';
import { runGateway } from './gateway';

runMain(runGateway);
