//! Reading what a handler needs out of an API Gateway REST proxy event.

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_lambda_events::query_map::QueryMap;
use base64::Engine as _;
use dice_core::{Actor, ErrorCode, IdempotencyKey, InvalidInput};

use crate::ApiError;

/// The path routes are matched on: the resource path, without the stage.
pub(crate) fn path(event: &ApiGatewayProxyRequest) -> &str {
    event.path.as_deref().unwrap_or("/")
}

/// What comes before the resource path in the URL the client used: `/prod` on
/// API Gateway's own endpoint, a base path or nothing on a custom domain.
pub(crate) fn url_prefix(event: &ApiGatewayProxyRequest) -> String {
    let context = &event.request_context;
    if let (Some(full), Some(path)) = (context.path.as_deref(), event.path.as_deref())
        && let Some(prefix) = full.strip_suffix(path)
    {
        return prefix.to_owned();
    }
    match context.stage.as_deref() {
        Some(stage) if !stage.is_empty() && stage != "$default" => format!("/{stage}"),
        _ => String::new(),
    }
}

/// The API key's id, which becomes `created_by`. API Gateway sets it once it
/// has checked the key; the key's value is never read.
pub(crate) fn api_key_id(event: &ApiGatewayProxyRequest) -> Option<Result<Actor, ApiError>> {
    let id = event
        .request_context
        .identity
        .api_key_id
        .as_deref()
        .filter(|id| !id.is_empty())?;
    Some(Actor::parse(id).map_err(|_| ApiError::Forbidden))
}

/// The body as bytes: base64-decoded when the event says so, refused over `limit`.
pub(crate) fn body(event: &ApiGatewayProxyRequest, limit: usize) -> Result<Vec<u8>, ApiError> {
    let text = event.body.as_deref().unwrap_or("");
    let too_large = ApiError::PayloadTooLarge { limit };
    if !event.is_base64_encoded {
        return if text.len() > limit {
            Err(too_large)
        } else {
            Ok(text.as_bytes().to_vec())
        };
    }
    // Four base64 characters carry three bytes: refuse before decoding what
    // cannot fit anyway.
    if text.len() / 4 * 3 > limit + 3 {
        return Err(too_large);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| {
            InvalidInput::new(
                ErrorCode::InvalidJson,
                "the body is marked base64-encoded but is not valid base64",
            )
        })?;
    if bytes.len() > limit {
        Err(too_large)
    } else {
        Ok(bytes)
    }
}

/// The `Idempotency-Key` header, if sent.
pub(crate) fn idempotency_key(
    event: &ApiGatewayProxyRequest,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = event.headers.get("idempotency-key") else {
        return Ok(None);
    };
    // Bytes outside visible ASCII become characters the key's rules refuse.
    let text = String::from_utf8_lossy(value.as_bytes());
    Ok(Some(IdempotencyKey::parse(text)?))
}

/// Every query parameter as (name, value) pairs, repeated names included.
///
/// Read through serialisation because `QueryMap`'s own iterator panics on a
/// name with no values, which a directly invoked event can hold.
pub(crate) fn query_pairs(event: &ApiGatewayProxyRequest) -> Vec<(String, String)> {
    let map = if event.multi_value_query_string_parameters.is_empty() {
        &event.query_string_parameters
    } else {
        &event.multi_value_query_string_parameters
    };
    pairs_of(map)
}

fn pairs_of(map: &QueryMap) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(entries)) = serde_json::to_value(map) else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for (name, values) in entries {
        match values {
            serde_json::Value::Array(values) if !values.is_empty() => {
                for value in values {
                    pairs.push((name.clone(), value.as_str().unwrap_or_default().to_owned()));
                }
            }
            _ => pairs.push((name, String::new())),
        }
    }
    pairs
}
