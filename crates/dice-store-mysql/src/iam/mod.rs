//! IAM database authentication: instead of a password, the store presents an
//! RDS auth token that it signs itself, locally, with the AWS credentials of
//! the environment (a Lambda function's role). No network call, no secret to
//! store: the database asks IAM whether the signature is good, and the role's
//! policy says which database users it may log in as (`rds-db:connect`).
//!
//! A token is valid for 15 minutes ([`TOKEN_LIFETIME`]) and only at login; a
//! connection stays open after its token expires. The store signs one token,
//! uses it for every connection it opens for the next 10 minutes, then signs
//! a new one (see `pools`), so each login presents a token with at least 5
//! minutes to live. The token travels as a clear-text password
//! (`mysql_clear_password`), so IAM mode refuses to run without TLS.

mod clock;
mod credentials;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use clock::{Clock, SystemClock};
pub use credentials::AwsCredentials;
pub use token::{AuthToken, TOKEN_LIFETIME};

use crate::Error;
use token::{Target, sign_token};

/// How old a token may be before a new connection gets a new one: 10 of its
/// 15 minutes, leaving 5 minutes of slack for clock skew and slow logins.
pub(crate) const RENEW_AFTER: Duration = Duration::from_secs(10 * 60);

/// What IAM database authentication needs: the Region of the database and
/// credentials to sign with, and the clock that dates the tokens.
///
/// ```
/// use dice_store_mysql::{AwsCredentials, IamAuth};
///
/// let credentials = AwsCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)?;
/// let iam = IamAuth::new("eu-west-1", credentials)?;
/// let token = iam.token("db.example.com", 3306, "dice_app", std::time::SystemTime::now())?;
/// assert!(token.expose().starts_with("db.example.com:3306/?Action=connect&DBUser=dice_app&"));
/// assert!(!format!("{iam:?} {token:?}").contains("EXAMPLEKEY"));
/// # Ok::<(), dice_store_mysql::Error>(())
/// ```
#[derive(Clone)]
pub struct IamAuth(Arc<Parts>);

/// Shared by clones, so that a configuration stays small to copy around.
struct Parts {
    region: String,
    credentials: AwsCredentials,
    clock: Arc<dyn Clock>,
}

impl IamAuth {
    /// IAM authentication in `region` (such as `eu-west-1`) with `credentials`,
    /// on the system clock.
    pub fn new(region: impl Into<String>, credentials: AwsCredentials) -> Result<Self, Error> {
        let region = region.into();
        if !is_region(&region) {
            return Err(Error::config(
                "AWS_REGION",
                format!("must be a Region such as eu-west-1, not {region:?}"),
            ));
        }
        Ok(Self(Arc::new(Parts {
            region,
            credentials,
            clock: Arc::new(SystemClock),
        })))
    }

    /// Reads `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN` (optional), as Lambda sets them for the function's
    /// role.
    pub(crate) fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let required = |name: &'static str| {
            get(name).ok_or_else(|| {
                Error::config(
                    name,
                    "must be set with DB_AUTH=iam (Lambda sets it for the function's role)",
                )
            })
        };
        let credentials = AwsCredentials::new(
            required("AWS_ACCESS_KEY_ID")?,
            required("AWS_SECRET_ACCESS_KEY")?,
            get("AWS_SESSION_TOKEN"),
        )?;
        Self::new(required("AWS_REGION")?, credentials)
    }

    /// The same, with tokens dated by `clock` (for tests that move time).
    #[must_use]
    pub fn clock(self, clock: Arc<dyn Clock>) -> Self {
        Self(Arc::new(Parts {
            region: self.0.region.clone(),
            credentials: self.0.credentials.clone(),
            clock,
        }))
    }

    /// The Region tokens are signed for.
    pub fn region(&self) -> &str {
        &self.0.region
    }

    /// The token that logs `user` in to the database at `host`:`port`, signed
    /// at `at` and valid for [`TOKEN_LIFETIME`] from then; the same token
    /// botocore's `generate_db_auth_token` makes.
    pub fn token(
        &self,
        host: &str,
        port: u16,
        user: &str,
        at: SystemTime,
    ) -> Result<AuthToken, Error> {
        let target = Target {
            host,
            port,
            user,
            region: &self.0.region,
        };
        sign_token(&self.0.credentials, &target, at).map_err(Error::Token)
    }

    /// The time by this authentication's clock.
    pub(crate) fn now(&self) -> SystemTime {
        self.0.clock.now()
    }
}

impl fmt::Debug for IamAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamAuth")
            .field("region", &self.0.region)
            .field("credentials", &self.0.credentials)
            .field("clock", &self.0.clock)
            .finish()
    }
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`: lower-case words and digits
/// joined by single hyphens.
fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests;
