//! Tokens checked byte for byte against botocore's, and kept out of sight.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

/// Reference tokens from botocore 1.44.8 (Python 3.11), made once with:
///
/// ```python
/// import datetime
/// from unittest import mock
/// import botocore.auth, botocore.session
///
/// def token(when, host, port, user, region, akid, secret, session_token):
///     client = botocore.session.get_session().create_client(
///         "rds", region_name=region, aws_access_key_id=akid,
///         aws_secret_access_key=secret, aws_session_token=session_token)
///     # botocore dates the signature with botocore.auth.get_current_datetime()
///     now = datetime.datetime.fromisoformat(when)
///     with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
///         return client.generate_db_auth_token(host, port, user, Region=region)
/// ```
///
/// with the arguments of each case below.
struct Case {
    unix_time: u64,
    host: &'static str,
    port: u16,
    user: &'static str,
    region: &'static str,
    access_key_id: &'static str,
    session_token: Option<&'static str>,
    botocore: &'static str,
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

const CASES: [Case; 3] = [
    // token("2026-11-24T15:04:05", HOST, 3306, "dice_app", "eu-west-1", "AKIDEXAMPLE", SECRET, None)
    Case {
        unix_time: 1_795_532_645,
        host: "dice.cluster-c9akciq32.eu-west-1.rds.amazonaws.com",
        port: 3306,
        user: "dice_app",
        region: "eu-west-1",
        access_key_id: "AKIDEXAMPLE",
        session_token: None,
        botocore: "dice.cluster-c9akciq32.eu-west-1.rds.amazonaws.com:3306/?Action=connect\
            &DBUser=dice_app&X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Feu-west-1%2Frds-db%2Faws4_request\
            &X-Amz-Date=20261124T150405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
            &X-Amz-Signature=cf3e8935de074376f2ef9aaed547482ad248bc5fd10a3c8dfa6b0cc7dc2c47ab",
    },
    // The same with temporary credentials, as a Lambda role has: the session
    // token is signed, and its '/', '+' and '=' are percent-encoded.
    Case {
        unix_time: 1_795_532_645,
        host: "dice.cluster-c9akciq32.eu-west-1.rds.amazonaws.com",
        port: 3306,
        user: "dice_app",
        region: "eu-west-1",
        access_key_id: "ASIAEXAMPLE",
        session_token: Some("IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQD+ex/am+ple=="),
        botocore: "dice.cluster-c9akciq32.eu-west-1.rds.amazonaws.com:3306/?Action=connect\
            &DBUser=dice_app&X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=ASIAEXAMPLE%2F20261124%2Feu-west-1%2Frds-db%2Faws4_request\
            &X-Amz-Date=20261124T150405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
            &X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCWV1LXdlc3QtMSJHMEUCIQD%2Bex%2Fam%2Bple%3D%3D\
            &X-Amz-Signature=63b91c4b8f5c8c01ecdbca2ffc9fd34905dc8821cd62495f787e240a776e524f",
    },
    // token("2024-02-29T23:59:59", "127.0.0.1", 3307, "iam user@x+y", "us-east-1", "AKIDEXAMPLE", SECRET, None):
    // another day, port and Region, and a user name that must be encoded.
    Case {
        unix_time: 1_709_251_199,
        host: "127.0.0.1",
        port: 3307,
        user: "iam user@x+y",
        region: "us-east-1",
        access_key_id: "AKIDEXAMPLE",
        session_token: None,
        botocore: "127.0.0.1:3307/?Action=connect&DBUser=iam%20user%40x%2By\
            &X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIDEXAMPLE%2F20240229%2Fus-east-1%2Frds-db%2Faws4_request\
            &X-Amz-Date=20240229T235959Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
            &X-Amz-Signature=d30a8915a58e9f8aec64d36a586937f60d2b271d7e0ace8669e92f7ffaf64c9e",
    },
];

fn iam(case: &Case, secret: &str) -> IamAuth {
    let credentials = AwsCredentials::new(
        case.access_key_id,
        secret,
        case.session_token.map(str::to_owned),
    )
    .unwrap();
    IamAuth::new(case.region, credentials).unwrap()
}

fn token(case: &Case, secret: &str) -> AuthToken {
    let at = UNIX_EPOCH + Duration::from_secs(case.unix_time);
    iam(case, secret)
        .token(case.host, case.port, case.user, at)
        .unwrap()
}

#[test]
fn tokens_equal_botocores_byte_for_byte() {
    for case in &CASES {
        assert_eq!(token(case, SECRET).expose(), case.botocore);
    }
}

#[test]
fn every_input_changes_the_signature() {
    let base = &CASES[0];
    let reference = token(base, SECRET);
    let other_secret = token(base, "another-secret-key");
    assert_ne!(other_secret, reference);
    let at = UNIX_EPOCH + Duration::from_secs(base.unix_time);
    let iam = iam(base, SECRET);
    for other in [
        iam.token(base.host, base.port, base.user, at + Duration::from_secs(1)),
        iam.token("other.example.com", base.port, base.user, at),
        iam.token(base.host, 3307, base.user, at),
        iam.token(base.host, base.port, "dice_admin", at),
    ] {
        assert_ne!(other.unwrap(), reference);
    }
}

#[test]
fn tokens_and_keys_stay_out_of_debug() {
    let case = &CASES[1];
    let iam = iam(case, SECRET);
    let token = token(case, SECRET);
    let debug = format!("{iam:?} {token:?}");
    for secret in [SECRET, case.session_token.unwrap(), token.expose()] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains("eu-west-1"), "{debug}");
}

#[test]
fn regions_are_checked() {
    let credentials = AwsCredentials::new("AKIDEXAMPLE", SECRET, None).unwrap();
    for good in ["eu-west-1", "us-gov-west-1", "cn-north-1"] {
        assert!(IamAuth::new(good, credentials.clone()).is_ok(), "{good}");
    }
    for bad in [
        "",
        "EU-WEST-1",
        "eu west 1",
        "eu--west-1",
        "-eu",
        "eu-west-1/x",
    ] {
        match IamAuth::new(bad, credentials.clone()) {
            Err(Error::Config(err)) => assert_eq!(err.variable, "AWS_REGION"),
            other => panic!("{bad:?} was not refused: {other:?}"),
        }
    }
}

#[test]
fn a_host_that_cannot_be_signed_is_an_error_not_a_panic() {
    let iam = iam(&CASES[0], SECRET);
    let err = iam
        .token("bad host/with space", 3306, "u", SystemTime::now())
        .unwrap_err();
    assert!(matches!(err, Error::Token(_)), "{err:?}");
}

/// Counts every event it is sent, at every level.
struct Recorder(Arc<AtomicUsize>);

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn signing_logs_nothing_even_at_trace_level() {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};

    let case = &CASES[1];
    let heard = Arc::new(AtomicUsize::new(0));
    // The recorder hears aws-sigv4's TRACE lines (canonical request and all)
    // when it signs in the open...
    tracing::subscriber::with_default(Recorder(Arc::clone(&heard)), || {
        let identity = AwsCredentials::new(
            case.access_key_id,
            SECRET,
            case.session_token.map(str::to_owned),
        )
        .unwrap()
        .signing_identity();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(case.region)
            .name("rds-db")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let request = SignableRequest::new(
            "GET",
            "https://h:3306/",
            std::iter::empty(),
            SignableBody::Bytes(&[]),
        )
        .unwrap();
        sign(request, &params).unwrap();
    });
    assert!(
        heard.load(Ordering::SeqCst) > 0,
        "the recorder hears aws-sigv4"
    );
    // ...and nothing at all while a token is made.
    heard.store(0, Ordering::SeqCst);
    tracing::subscriber::with_default(Recorder(Arc::clone(&heard)), || token(case, SECRET));
    assert_eq!(heard.load(Ordering::SeqCst), 0);
}
