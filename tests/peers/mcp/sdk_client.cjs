// The MCP TypeScript SDK's own client, as assistants use it, calling Coral's
// tools: over stdio through `coral mcp proxy`, or over Streamable HTTP with a
// bearer token. Prints one JSON object: the tool list and each call's result.
//   node sdk_client.cjs stdio URL CORAL_BINARY CORAL_HOME
//   node sdk_client.cjs http URL
// CORAL_TOKEN holds the API token. Test code only.
'use strict';
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

async function main() {
  const [mode, url, binary, home] = process.argv.slice(2);
  const token = process.env.CORAL_TOKEN;
  const transport = mode === 'stdio'
    ? new StdioClientTransport({
        command: binary,
        args: ['--home', home, 'mcp', 'proxy', '--url', url],
        env: { ...process.env, CORAL_TOKEN: token },
        stderr: 'inherit',
      })
    : new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      });
  const client = new Client({ name: 'coral-sdk-peer-test', version: '1.0.0' });
  await client.connect(transport);

  const tools = (await client.listTools()).tools;
  const calls = JSON.parse(process.env.CORAL_TOOL_CALLS);
  const results = {};
  for (const [key, { name, arguments: args }] of Object.entries(calls)) {
    const r = await client.callTool({ name, arguments: args });
    results[key] = {
      isError: r.isError === true,
      text: r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n'),
      structuredContent: r.structuredContent ?? null,
    };
  }
  // Arguments of the wrong type are refused by the server, not crashed on.
  const wrong = await client.callTool({ name: 'coral_query_traces', arguments: { limit: 'ten' } });
  const schema = await client.readResource({ uri: 'coral://schema' });
  const prompt = await client.getPrompt({ name: 'investigate', arguments: { symptom: 'slow checkout' } });
  await client.close();
  console.log(JSON.stringify({
    serverName: client.getServerVersion()?.name ?? null,
    tools: tools.map((t) => ({ name: t.name, readOnly: t.annotations?.readOnlyHint === true,
                               inputType: t.inputSchema?.type })),
    results,
    wrongArguments: { isError: wrong.isError === true, text: wrong.content?.[0]?.text ?? '' },
    schemaText: schema.contents[0].text,
    promptText: prompt.messages[0].content.text,
  }));
}

main().catch((e) => {
  console.error('sdk_client.cjs:', e);
  process.exit(1);
});
