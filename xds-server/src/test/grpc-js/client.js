'use strict';
// A proxyless gRPC node on grpc-js-xds, driven by xds-server's GrpcJsXdsEndToEndTest.
//
//   GRPC_XDS_BOOTSTRAP_CONFIG='{...}' node client.js DEADLINE_MS TARGET=SERVICE [TARGET=SERVICE ...]
//
// For each pair it calls grpc.health.v1.Health/Check {service: SERVICE} on the xds:/// TARGET
// (waiting for the channel to become ready, at most DEADLINE_MS) and prints one JSON line:
//   {"target":"xds:///reviews","service":"reviews","status":"SERVING"}
//   {"target":"xds:///reviews","service":"reviews","error":"14 UNAVAILABLE: ..."}
// then the line "done". It stays connected to the control plane (so the test can read the
// node's ACKs) until its standard input closes, then exits: 0 if every call answered SERVING.

const path = require('path');
const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protoLoader = require('@grpc/proto-loader');

const [deadlineArg, ...pairs] = process.argv.slice(2);
const deadlineMs = Number(deadlineArg);
if (!Number.isInteger(deadlineMs) || deadlineMs <= 0 || pairs.length === 0
    || pairs.some((p) => !/^xds:\/\/\/[^=]+=.*$/.test(p))) {
  process.stderr.write('usage: node client.js DEADLINE_MS xds:///TARGET=SERVICE ...\n');
  process.exit(2);
}

grpcXds.register();
const definition = protoLoader.loadSync(path.join(__dirname, 'health.proto'),
    {keepCase: true, enums: String, defaults: true});
const Health = grpc.loadPackageDefinition(definition).grpc.health.v1.Health;

function check(target, service) {
  const client = new Health(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.Check({service},
        {deadline: Date.now() + deadlineMs, waitForReady: true},
        (err, response) => {
          resolve({client, line: err
              ? {target, service, error: `${err.code} ${err.details}`}
              : {target, service, status: response.status}});
        });
  });
}

Promise.all(pairs.map((p) => {
  const i = p.indexOf('=');
  return check(p.substring(0, i), p.substring(i + 1));
})).then((results) => {
  for (const r of results) {
    process.stdout.write(JSON.stringify(r.line) + '\n');
  }
  process.stdout.write('done\n');
  const ok = results.every((r) => r.line.status === 'SERVING');
  const exit = () => {
    results.forEach((r) => r.client.close());
    process.exit(ok ? 0 : 1);
  };
  process.stdin.on('end', exit);
  process.stdin.on('error', exit);
  process.stdin.resume();
});
