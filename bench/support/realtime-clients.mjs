// The realtime bench's clients, in a worker thread so their parsing does not run on the server's
// event loop: `clients` WebSockets on /ws/model-updates, client i following stream i mod streams.
// Reports each event frame's receipt time by its `seq`, in batches. Plain JavaScript: worker
// threads do not inherit tsx's loader.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, token, clients, streamIds } = workerData;
let received = [];
let opened = 0;

const flush = () => {
  if (received.length === 0) return;
  parentPort.postMessage({ type: 'received', pairs: received });
  received = [];
};
setInterval(flush, 100);

for (let i = 0; i < clients; i++) {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', streamIds: [streamIds[i % streamIds.length]] })));
  socket.on('message', (data) => {
    const text = String(data);
    if (text.startsWith('{"type":"subscribed"')) {
      if (++opened === clients) parentPort.postMessage({ type: 'ready' });
      return;
    }
    if (!text.startsWith('{"type":"event"')) return;
    received.push(JSON.parse(text).event.data.seq, Date.now());
  });
  socket.on('error', (error) => parentPort.postMessage({ type: 'error', message: String(error) }));
}
parentPort.on('message', (m) => {
  if (m.type === 'flush') {
    flush();
    parentPort.postMessage({ type: 'flushed' });
  }
});
