//! Database credentials from AWS Secrets Manager, read once at init through the
//! AWS Parameters and Secrets Lambda Extension's HTTP endpoint on localhost: no
//! AWS SDK in the binary, and the extension caches the secret.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

/// The extension's port unless `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 2773;
/// How long to keep trying while the extension starts up.
const READY_WITHIN: Duration = Duration::from_secs(3);

/// What a database secret holds: RDS-managed secrets have `username` and
/// `password`; the other fields are used when present.
#[derive(Clone, Deserialize)]
pub struct Credentials {
    /// The database user.
    pub username: String,
    /// The password; never in `Debug` output.
    pub password: String,
    /// The database host, when the secret names it.
    #[serde(default)]
    pub host: Option<String>,
    /// The port, when the secret names it.
    #[serde(default)]
    pub port: Option<u16>,
    /// The database, when the secret names it.
    #[serde(default)]
    pub dbname: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl Credentials {
    /// The value this secret gives a configuration variable, if any: `DB_USER`,
    /// `DB_PASS`, and `DB_HOST`, `DB_PORT`, `DB_NAME` when the secret has them.
    pub fn variable(&self, name: &str) -> Option<String> {
        match name {
            "DB_USER" => Some(self.username.clone()),
            "DB_PASS" => Some(self.password.clone()),
            "DB_HOST" => self.host.clone(),
            "DB_PORT" => self.port.map(|p| p.to_string()),
            "DB_NAME" => self.dbname.clone(),
            _ => None,
        }
    }
}

/// Why the secret could not be read. Never holds the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The extension did not answer (is its layer attached?).
    #[error("the secrets extension on localhost:{port} did not answer: {reason}")]
    Unreachable {
        /// The port tried.
        port: u16,
        /// Why.
        reason: String,
    },
    /// The extension answered with an error (no permission, no such secret).
    #[error("the secrets extension answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The extension's message.
        message: String,
    },
    /// The secret is not a JSON object with `username` and `password`.
    #[error("the secret is not JSON with username and password")]
    Malformed,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
}

/// Reads secret `secret_id` through the extension on `port`, authenticating with
/// the function's session token as the extension requires.
pub async fn fetch(
    secret_id: &str,
    port: u16,
    session_token: &str,
) -> Result<Credentials, SecretError> {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("secretId", secret_id)
        .finish();
    let uri = format!("http://localhost:{port}/secretsmanager/get?{query}");
    let started = Instant::now();
    let response = loop {
        let request = Request::get(uri.as_str())
            .header("X-Aws-Parameters-Secrets-Token", session_token)
            .body(Empty::new())
            .map_err(|err| SecretError::Unreachable {
                port,
                reason: err.to_string(),
            })?;
        match tokio::time::timeout(READY_WITHIN, client.request(request)).await {
            Ok(Ok(response)) => break response,
            // The extension may still be starting: try again for a little while.
            Ok(Err(_)) if started.elapsed() < READY_WITHIN => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Ok(Err(err)) => {
                return Err(SecretError::Unreachable {
                    port,
                    reason: err.to_string(),
                });
            }
            Err(_) => {
                return Err(SecretError::Unreachable {
                    port,
                    reason: "timed out".to_owned(),
                });
            }
        }
    };
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|err| SecretError::Unreachable {
            port,
            reason: err.to_string(),
        })?
        .to_bytes();
    if status != 200 {
        let message: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(SecretError::Refused { status, message });
    }
    let envelope: Envelope = serde_json::from_slice(&body).map_err(|_| SecretError::Malformed)?;
    let secret = envelope.secret_string.ok_or(SecretError::Malformed)?;
    serde_json::from_str(&secret).map_err(|_| SecretError::Malformed)
}
