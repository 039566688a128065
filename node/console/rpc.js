// JSON-RPC over HTTP to the node that served this page (same origin: the page's CSP allows no
// other). Errors come back as RpcError with the node's code, message and data.
export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

let nextId = 1;

// The raw response text of one call (what the verifier checks, unparsed by anything else).
export async function callRaw(method, params) {
  const response = await fetch('/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    cache: 'no-store',
    credentials: 'omit',
  });
  return response.text();
}

export async function call(method, params = []) {
  const text = await callRaw(method, params);
  let body;
  try { body = JSON.parse(text); } catch (_) { throw new RpcError(-1, 'the node answered with something that is not JSON'); }
  if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data);
  return body.result;
}
