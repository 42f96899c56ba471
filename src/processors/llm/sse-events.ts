import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Response } from 'undici';
import type { IdleTimer } from './provider-http.js';

/** The server-sent events of a response body (WHATWG HTML §9.2 parsing, by eventsource-parser), as they arrive. */
export async function* sseEvents(response: Response, idle: IdleTimer): AsyncGenerator<EventSourceMessage> {
  if (!response.body) return;
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    idle.touch();
    parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    while (queue.length > 0) yield queue.shift()!;
  }
  parser.feed(decoder.decode());
  while (queue.length > 0) yield queue.shift()!;
}
