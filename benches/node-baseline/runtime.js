// A minimal custom runtime: polls the Lambda Runtime API and hands each event
// to handler.js, as the Node.js managed runtime would.
const http = require('http')
const { handler } = require('./handler')

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':')
const base = '/2018-06-01/runtime'
const agent = new http.Agent({ keepAlive: true })

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: base + path, agent }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(JSON.stringify(body))
    req.end()
  })
}

async function loop() {
  for (;;) {
    const next = await call('GET', '/invocation/next')
    const id = next.headers['lambda-runtime-aws-request-id']
    const event = JSON.parse(next.body)
    const result = await new Promise((resolve) =>
      handler(event, {}, (err, res) => resolve({ err, res })))
    if (result.err) {
      await call('POST', `/invocation/${id}/error`, { errorMessage: String(result.err), errorType: 'Error' })
    } else {
      await call('POST', `/invocation/${id}/response`, result.res)
    }
  }
}

loop()
