// Preloaded (node --require) into the MCP conformance suite, which has no
// option for authentication: every HTTP request it makes, through fetch or
// undici, carries `Authorization: Bearer $CORAL_TOKEN`, and TLS trusts the
// colony's CA from $CORAL_CA_FILE. Test code only.
'use strict';
const fs = require('fs');
const { Agent, setGlobalDispatcher } = require('undici');

const token = process.env.CORAL_TOKEN;
if (!token) throw new Error('with_bearer_token.cjs: set CORAL_TOKEN');
const ca = process.env.CORAL_CA_FILE ? fs.readFileSync(process.env.CORAL_CA_FILE) : undefined;

function withAuthorization(headers) {
  if (headers == null) return { authorization: `Bearer ${token}` };
  if (Array.isArray(headers)) return [...headers, 'authorization', `Bearer ${token}`];
  if (typeof headers[Symbol.iterator] === 'function') {
    return [...[...headers].flat(), 'authorization', `Bearer ${token}`];
  }
  return { ...headers, authorization: `Bearer ${token}` };
}

class BearerAgent extends Agent {
  dispatch(options, handler) {
    return super.dispatch({ ...options, headers: withAuthorization(options.headers) }, handler);
  }
}

setGlobalDispatcher(new BearerAgent({ connect: ca ? { ca } : {} }));

// "fetch failed" alone says little: log why, to stderr, for the test's output.
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  try {
    return await realFetch(...args);
  } catch (e) {
    console.error(`with_bearer_token.cjs: fetch ${String(args[0])} failed:`, e.cause ?? e);
    throw e;
  }
};
