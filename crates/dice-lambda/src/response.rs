//! Building API Gateway responses: JSON bodies, the error envelope, headers.

use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, header};

use crate::api_error::Wire;

/// A JSON response with `status` and `body`.
pub(crate) fn json(status: u16, body: String) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = i64::from(status);
    response.headers = HeaderMap::new();
    response.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.body = Some(Body::Text(body));
    response
}

/// The page: HTML with its Content-Security-Policy and headers that keep
/// browsers from guessing types or leaking the URL.
pub(crate) fn page(html: &str, csp: &str) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ] {
        set_header(&mut response, name, value);
    }
    response.body = Some(Body::Text(html.to_owned()));
    response
}

/// Sets a header whose value this crate made (a path, a number), so it is always
/// a valid header value; one that is not is left out rather than panicking.
pub(crate) fn set_header(response: &mut ApiGatewayProxyResponse, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers.insert(name, value);
    }
}

#[derive(serde::Serialize)]
struct Envelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

/// The `{"error": {"code", "message"}}` envelope, with a request id on errors
/// whose cause is only in the log.
pub(crate) fn error(wire: &Wire, request_id: &str) -> ApiGatewayProxyResponse {
    let message = if wire.internal {
        format!("{} (request id {request_id})", wire.message)
    } else {
        wire.message.clone()
    };
    let envelope = Envelope {
        error: ErrorBody {
            code: wire.code.as_str(),
            message: &message,
            request_id: wire.internal.then_some(request_id),
        },
    };
    // Serialising plain strings cannot fail; the fallback keeps the envelope anyway.
    let body = serde_json::to_string(&envelope).unwrap_or_else(|_| {
        format!(
            r#"{{"error":{{"code":"{}","message":"error"}}}}"#,
            wire.code.as_str()
        )
    });
    let mut response = json(wire.status, body);
    if let Some(allow) = &wire.allow {
        set_header(&mut response, header::ALLOW, allow);
    }
    if let Some(retry_after) = wire.retry_after {
        set_header(
            &mut response,
            header::RETRY_AFTER,
            &retry_after.as_secs().max(1).to_string(),
        );
    }
    response
}
