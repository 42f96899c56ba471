/**
 * Sends a JSON answer already serialized by its route (and checked against the route's response
 * schema where it was built): fastify sends a string with a JSON content-type as it is, without its
 * serializer, so the answer is not decoded and encoded again.
 */
export function sendJsonText<R extends { type(contentType: string): R }>(reply: R, text: string): R {
  const typed = reply.type('application/json; charset=utf-8') as R & { send(payload: string): R };
  return typed.send(text);
}
