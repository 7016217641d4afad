//! [`RestEvent`]: the one way this crate builds a REST proxy event, for the
//! local gateway and for tests alike.

use std::collections::HashMap;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue, Method};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine as _;

/// Builds an [`ApiGatewayProxyRequest`] as API Gateway fills one in for a REST
/// API proxy integration: the stage outside the resource path, last-value and
/// multi-value headers and query parameters, base64 for bodies that are not
/// UTF-8, and the request context.
///
/// ```
/// use aws_lambda_events::http::Method;
/// use dice_lambda::RestEvent;
///
/// let event = RestEvent::new(Method::GET, "/rolls/{id}", "/rolls/7")
///     .stage("prod")
///     .path_parameter("id", "7")
///     .query("limit=2&limit=3")
///     .api_key("k1", "secret")
///     .build();
/// assert_eq!(event.request_context.path.as_deref(), Some("/prod/rolls/7"));
/// assert_eq!(event.query_string_parameters.first("limit"), Some("3"));
/// ```
#[derive(Debug, Clone)]
pub struct RestEvent {
    event: ApiGatewayProxyRequest,
}

impl RestEvent {
    /// An event for `method` on `path`, which API Gateway matched to `resource`
    /// (such as `/rolls/{id}`).
    pub fn new(method: Method, resource: &str, path: &str) -> Self {
        let mut event = ApiGatewayProxyRequest::default();
        event.http_method = method.clone();
        event.resource = Some(resource.to_owned());
        event.path = Some(path.to_owned());
        let context = &mut event.request_context;
        context.http_method = method;
        context.resource_path = Some(resource.to_owned());
        context.path = Some(path.to_owned());
        Self { event }
    }

    /// The stage the API is deployed on; the context's path gains it as a prefix.
    #[must_use]
    pub fn stage(mut self, stage: &str) -> Self {
        let path = self.event.path.as_deref().unwrap_or("");
        self.event.request_context.path = Some(format!("/{stage}{path}"));
        self.event.request_context.stage = Some(stage.to_owned());
        self
    }

    /// Every header: `headers` gets each name's last value,
    /// `multiValueHeaders` all of them.
    #[must_use]
    pub fn headers(mut self, headers: &HeaderMap) -> Self {
        for (name, value) in headers {
            self.event.headers.insert(name.clone(), value.clone());
            self.event
                .multi_value_headers
                .append(name.clone(), value.clone());
        }
        if let Some(agent) = headers.get("user-agent").and_then(|v| v.to_str().ok()) {
            self.event.request_context.identity.user_agent = Some(agent.to_owned());
        }
        self
    }

    /// One more header; a name or value HTTP cannot carry is left out.
    #[must_use]
    pub fn header(self, name: &str, value: &str) -> Self {
        let mut headers = HeaderMap::new();
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
        self.headers(&headers)
    }

    /// The raw query string, decoded into the last-value and multi-value maps.
    #[must_use]
    pub fn query(mut self, raw: &str) -> Self {
        let mut multi: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            multi
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        let last: HashMap<String, String> = multi
            .iter()
            .filter_map(|(name, values)| Some((name.clone(), values.last()?.clone())))
            .collect();
        self.event.query_string_parameters = QueryMap::from(last);
        self.event.multi_value_query_string_parameters = QueryMap::from(multi);
        self
    }

    /// A path parameter, such as `id` for `/rolls/{id}`.
    #[must_use]
    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        self.event
            .path_parameters
            .insert(name.to_owned(), value.to_owned());
        self
    }

    /// The body: as text when it is UTF-8, else base64 with `isBase64Encoded`.
    /// An empty body is no body.
    #[must_use]
    pub fn body(mut self, body: &[u8]) -> Self {
        match std::str::from_utf8(body) {
            _ if body.is_empty() => {}
            Ok(text) => self.event.body = Some(text.to_owned()),
            Err(_) => {
                self.event.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
                self.event.is_base64_encoded = true;
            }
        }
        self
    }

    /// The API key API Gateway checked: its id and its value.
    #[must_use]
    pub fn api_key(mut self, id: &str, value: &str) -> Self {
        let identity = &mut self.event.request_context.identity;
        identity.api_key_id = Some(id.to_owned());
        identity.api_key = Some(value.to_owned());
        self
    }

    /// The request id API Gateway gave the request.
    #[must_use]
    pub fn request_id(mut self, id: &str) -> Self {
        self.event.request_context.request_id = Some(id.to_owned());
        self
    }

    /// The client's address.
    #[must_use]
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.event.request_context.identity.source_ip = Some(ip.to_owned());
        self
    }

    /// The event; fields this builder does not set can be changed on it.
    pub fn build(self) -> ApiGatewayProxyRequest {
        self.event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keeps_the_last_and_every_value() {
        let event = RestEvent::new(Method::GET, "/rolls", "/rolls")
            .query("limit=2&limit=3&rolled_by=a%20b&cursor=")
            .build();
        let (last, multi) = (
            &event.query_string_parameters,
            &event.multi_value_query_string_parameters,
        );
        assert_eq!(last.first("limit"), Some("3"));
        assert_eq!(multi.all("limit"), Some(vec!["2", "3"]));
        assert_eq!(last.first("rolled_by"), Some("a b"));
        assert_eq!(last.first("cursor"), Some(""));
    }

    #[test]
    fn a_body_that_is_not_utf8_travels_as_base64() {
        let event = RestEvent::new(Method::POST, "/rolls", "/rolls")
            .body(&[0xff, 0x00])
            .build();
        assert!(event.is_base64_encoded);
        assert_eq!(event.body.as_deref(), Some("/wA="));
        let empty = RestEvent::new(Method::POST, "/rolls", "/rolls")
            .body(b"")
            .build();
        assert_eq!(empty.body, None);
    }

    #[test]
    fn repeated_headers_keep_every_value_and_the_last_alone() {
        let event = RestEvent::new(Method::GET, "/stats", "/stats")
            .header("x-a", "1")
            .header("x-a", "2")
            .build();
        assert_eq!(event.headers.get("x-a").unwrap(), "2");
        assert_eq!(event.multi_value_headers.get_all("x-a").iter().count(), 2);
    }
}
