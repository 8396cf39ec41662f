import 'reflect-metadata';
import { runMain } from '@gw/service-kit';
import { runMetadata } from './run';

runMain(runMetadata);
