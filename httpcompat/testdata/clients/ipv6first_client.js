// A Node client as Node 17-19 behaved (run with
// --no-network-family-autoselection): it connects to the first address
// localhost resolves to, and to no other. The lookup below resolves
// localhost to ::1 first, as /etc/hosts does on machines that list
// "::1 localhost" (Debian's default); it stands in for such a file so the
// test needs no change to the machine. Prints one JSON object.
const http = require('http');

function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  const all = [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ];
  if (hostname !== 'localhost') {
    return require('dns').lookup(hostname, options, callback);
  }
  if (options && options.all) {
    return callback(null, all);
  }
  return callback(null, all[0].address, all[0].family);
}

const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
const name = process.argv[2];
const req = http.get(
  {
    host: 'localhost',
    port,
    path: `/systemsmanager/parameters/get?name=${encodeURIComponent(name)}&withDecryption=true`,
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN },
    lookup,
    timeout: 5000,
  },
  (res) => {
    const remoteAddress = res.socket.remoteAddress;
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      process.stdout.write(
        JSON.stringify({
          status: res.statusCode,
          remoteAddress,
          value: JSON.parse(body).Parameter.Value,
        }),
      );
    });
  },
);
req.on('error', (e) => {
  process.stdout.write(JSON.stringify({ error: e.code || e.message, address: e.address }));
});
