/** The profile parser's worker thread (see profile-parser.ts): one job at a time, in the order sent. */
import { parentPort } from 'node:worker_threads';
import { parseProfileText, sendableError } from './profile-text';
import type { ParseJob, ParseReply } from './profile-parser';

const port = parentPort!;
port.on('message', ({ id, text, source, limits }: ParseJob) => {
  let reply: ParseReply;
  try {
    reply = { id, parsed: parseProfileText(text, source, limits) };
  } catch (err) {
    reply = { id, error: sendableError(err) };
  }
  port.postMessage(reply);
});
