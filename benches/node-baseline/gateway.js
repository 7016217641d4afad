// A minimal stand-in for API Gateway in front of the tutorial's handler, the
// Node side of the `local` benchmark: plain `http`, one route (POST
// /prod/rolls), one API key in `x-api-key`, a REST proxy event per request,
// and the handler's status and body as the answer. Listens on 127.0.0.1:PORT
// (0 for any free port) and prints the URL it serves, as dice-local does.
const http = require('http')
const crypto = require('crypto')
const { handler } = require('./handler')

const KEY = process.env.GATEWAY_API_KEY
const PORT = Number(process.env.PORT || 0)
const STAGE = 'prod'

function answer(res, status, body) {
  const text = body == null ? '' : String(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

function event(req, body, port) {
  const headers = {}
  const multiValueHeaders = {}
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(',') : value
    multiValueHeaders[name] = Array.isArray(value) ? value : [value]
  }
  return {
    resource: '/rolls',
    path: '/rolls',
    httpMethod: 'POST',
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: '/rolls',
      httpMethod: 'POST',
      path: `/${STAGE}/rolls`,
      stage: STAGE,
      requestId: crypto.randomUUID(),
      requestTimeEpoch: Date.now(),
      protocol: `HTTP/${req.httpVersion}`,
      domainName: `127.0.0.1:${port}`,
      identity: { sourceIp: req.socket.remoteAddress, apiKey: KEY, userAgent: req.headers['user-agent'] || null },
    },
    body: body.length ? body.toString() : null,
    isBase64Encoded: false,
  }
}

const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    // As API Gateway answers: an unknown route asks for a token, a wrong key is forbidden.
    if (req.method !== 'POST' || req.url.split('?')[0] !== `/${STAGE}/rolls`) {
      return answer(res, 403, '{"message":"Missing Authentication Token"}')
    }
    if (req.headers['x-api-key'] !== KEY) {
      return answer(res, 403, '{"message":"Forbidden"}')
    }
    const port = server.address().port
    handler(event(req, Buffer.concat(chunks), port), {}, (err, result) => {
      // A function error becomes API Gateway's 502, whatever the handler returned with it.
      if (err) return answer(res, 502, '{"message": "Internal server error"}')
      answer(res, result.statusCode, result.body)
    })
  })
})

server.keepAliveTimeout = 60000
server.listen(PORT, '127.0.0.1', () => {
  const { port } = server.address()
  console.log(`node gateway listening on http://127.0.0.1:${port}/${STAGE}`)
})
