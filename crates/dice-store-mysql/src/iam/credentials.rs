//! [`AwsCredentials`]: the keys that sign auth tokens, kept out of `Debug`.

use std::fmt;

use crate::Error;

/// AWS credentials: an access key id, its secret key and, for temporary
/// credentials (a Lambda function's role), a session token.
///
/// Only the access key id shows in `Debug`; the secret key and the session
/// token never do, and their memory is zeroed when the last copy is dropped.
#[derive(Clone)]
pub struct AwsCredentials(aws_credential_types::Credentials);

impl AwsCredentials {
    /// Checks and wraps credentials. The access key id is letters and digits
    /// (`AKIA...`, `ASIA...`); the secret key and the session token are
    /// visible ASCII. A failure names the environment variable that holds the
    /// value (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`)
    /// and never repeats a secret.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Result<Self, Error> {
        let access_key_id = access_key_id.into();
        let secret_access_key = secret_access_key.into();
        if access_key_id.is_empty() || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::config(
                "AWS_ACCESS_KEY_ID",
                "must be letters and digits, such as AKIAIOSFODNN7EXAMPLE",
            ));
        }
        if !is_visible_ascii(&secret_access_key) {
            return Err(Error::config(
                "AWS_SECRET_ACCESS_KEY",
                "must be a non-empty run of visible ASCII characters",
            ));
        }
        if let Some(token) = &session_token
            && !is_visible_ascii(token)
        {
            return Err(Error::config(
                "AWS_SESSION_TOKEN",
                "must be a non-empty run of visible ASCII characters",
            ));
        }
        Ok(Self(aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "environment",
        )))
    }

    /// The access key id (not a secret: it names the key).
    pub fn access_key_id(&self) -> &str {
        self.0.access_key_id()
    }

    pub(crate) fn signing_identity(&self) -> aws_smithy_runtime_api::client::identity::Identity {
        self.0.clone().into()
    }
}

fn is_visible_ascii(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic())
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id())
            .field("secret_access_key", &"***")
            .field("session_token", &self.0.session_token().map(|_| "***"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variable_of(result: Result<AwsCredentials, Error>) -> &'static str {
        match result {
            Err(Error::Config(err)) => err.variable,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn each_malformed_part_is_refused_by_its_variable() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            variable_of(AwsCredentials::new("", secret, None)),
            "AWS_ACCESS_KEY_ID"
        );
        assert_eq!(
            variable_of(AwsCredentials::new("AKID EXAMPLE", secret, None)),
            "AWS_ACCESS_KEY_ID"
        );
        assert_eq!(
            variable_of(AwsCredentials::new("AKIDEXAMPLE", "", None)),
            "AWS_SECRET_ACCESS_KEY"
        );
        assert_eq!(
            variable_of(AwsCredentials::new("AKIDEXAMPLE", "a b", None)),
            "AWS_SECRET_ACCESS_KEY"
        );
        assert_eq!(
            variable_of(AwsCredentials::new(
                "AKIDEXAMPLE",
                secret,
                Some("tok\nen".to_owned())
            )),
            "AWS_SESSION_TOKEN"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_and_errors() {
        let credentials = AwsCredentials::new(
            "ASIAEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("IQoJb3JpZ2luX2VjEJr-session".to_owned()),
        )
        .unwrap();
        let debug = format!("{credentials:?}");
        assert!(debug.contains("ASIAEXAMPLE"), "{debug}");
        assert!(!debug.contains("EXAMPLEKEY"), "{debug}");
        assert!(!debug.contains("IQoJ"), "{debug}");
        let err = AwsCredentials::new("AKIDEXAMPLE", "s3cret\u{7f}", None).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
