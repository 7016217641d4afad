//! The RDS auth token: a SigV4 presigned `connect` request for one database
//! user on one host and port, signed with `aws-sigv4`.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::AwsCredentials;

/// How long a token is valid: RDS accepts at most 15 minutes.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The service name RDS auth tokens are signed for.
const SERVICE: &str = "rds-db";

/// Characters SigV4 leaves as they are in a query (RFC 3986's unreserved);
/// everything else is percent-encoded, as botocore does.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An RDS auth token, which the database takes as the user's password for 15
/// minutes after it was signed. It never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    /// The token itself, to send as the password (only ever over TLS).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(***)")
    }
}

/// What a token is for.
pub(crate) struct Target<'a> {
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    pub(crate) user: &'a str,
    pub(crate) region: &'a str,
}

/// Signs a token for `target` at time `at`.
///
/// `aws-sigv4` computes the signature; the token is then written out in the
/// order botocore's `generate_db_auth_token` uses (`Action`, `DBUser`, the
/// `X-Amz-*` parameters with the session token before the signature), so that
/// it equals botocore's byte for byte (see the tests).
pub(crate) fn sign_token(
    credentials: &AwsCredentials,
    target: &Target<'_>,
    at: SystemTime,
) -> Result<AuthToken, String> {
    let user = utf8_percent_encode(target.user, QUERY_VALUE).to_string();
    let address = format!("{}:{}", target.host, target.port);
    let url = format!("https://{address}/?Action=connect&DBUser={user}");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let identity = credentials.signing_identity();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(target.region)
        .name(SERVICE)
        .time(at)
        .settings(settings)
        .build()
        .map_err(|err| format!("cannot sign an auth token: {err}"))?
        .into();
    let request = SignableRequest::new(
        "GET",
        url.as_str(),
        std::iter::empty(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|err| {
        format!(
            "cannot sign an auth token for host {:?}: {err}",
            target.host
        )
    })?;
    // aws-sigv4 logs the canonical request, session token included, at TRACE:
    // signing happens with no subscriber to hear it, whatever the program's
    // log level.
    let signed =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            sign(request, &params)
        })
        .map_err(|err| format!("cannot sign an auth token: {err}"))?;
    let (instructions, _signature) = signed.into_parts();
    let (_headers, signed_params) = instructions.into_parts();
    Ok(AuthToken(assemble(&address, &user, &signed_params)?))
}

/// The token: `host:port/?Action=connect&DBUser=...` and the signing
/// parameters, in botocore's order.
fn assemble(
    address: &str,
    user: &str,
    signed: &[(&'static str, Cow<'static, str>)],
) -> Result<String, String> {
    const ORDER: [(&str, bool); 7] = [
        ("X-Amz-Algorithm", true),
        ("X-Amz-Credential", true),
        ("X-Amz-Date", true),
        ("X-Amz-Expires", true),
        ("X-Amz-SignedHeaders", true),
        ("X-Amz-Security-Token", false),
        ("X-Amz-Signature", true),
    ];
    let mut token = format!("{address}/?Action=connect&DBUser={user}");
    for (name, required) in ORDER {
        match signed.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => {
                token.push('&');
                token.push_str(name);
                token.push('=');
                token.extend(utf8_percent_encode(value, QUERY_VALUE));
            }
            None if required => return Err(format!("the signer gave no {name}")),
            None => {}
        }
    }
    Ok(token)
}
