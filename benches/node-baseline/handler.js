// The tutorial's handler, as it behaves: a new connection for every request,
// the outcome escaped into the SQL text, no validation beyond "present".
const mysql = require('mysql')

exports.handler = (event, context, cb) => {
  const conn = mysql.createConnection({
    host: process.env.DB_HOST,
    user: process.env.DB_USER,
    password: process.env.DB_PASS,
    database: process.env.DB_NAME,
  })
  let body
  try {
    body = JSON.parse(event.body)
  } catch (e) {
    body = {}
  }
  const res = { headers: {} }
  if (body.outcome == null) {
    res.statusCode = 400
    res.body = 'missing required "outcome" value'
    return cb(new Error(res.body), res)
  }
  conn.query(`INSERT INTO rolls (id, outcome) VALUES (null, ${conn.escape(body.outcome)});`, (err) => {
    if (err) {
      conn.destroy()
      return cb(err, { statusCode: 500 })
    }
    conn.end((endErr) => cb(endErr, { statusCode: endErr ? 500 : 200 }))
  })
}
