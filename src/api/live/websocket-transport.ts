import type { WebSocket } from 'ws';
import type { LiveTransport } from './ledger-fanout.js';

/** Close codes of the live channels (4000–4999 are the application's, RFC 6455 §7.4.2). */
export const CLOSE_SLOW_CONSUMER = 4008;
export const CLOSE_NO_HEARTBEAT = 4000;
export const CLOSE_GOING_AWAY = 1001;

/**
 * A WebSocket as a live transport, with heartbeats: a ping every `heartbeatMs`; a client that has
 * not answered the previous ping by then is dropped (its socket may be half-open, and its queue
 * would grow). Frames are sent as text.
 */
export function websocketTransport(socket: WebSocket, heartbeatMs: number, onEnd: () => void): LiveTransport & { stop(): void } {
  let alive = true;
  socket.on('pong', () => {
    alive = true;
  });
  const heartbeat = setInterval(() => {
    if (!alive) {
      socket.close(CLOSE_NO_HEARTBEAT, 'no heartbeat');
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, heartbeatMs);
  heartbeat.unref();
  let ended = false;
  const stop = () => {
    clearInterval(heartbeat);
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  socket.on('close', stop);
  return {
    write(frame) {
      if (socket.readyState === socket.OPEN) socket.send(frame);
    },
    bufferedBytes: () => socket.bufferedAmount,
    end(reason) {
      if (reason === 'slow-consumer') {
        // The close frame would queue behind what the client is not reading: drop the socket.
        socket.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
        socket.terminate();
      } else socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      stop();
    },
    stop,
  };
}
