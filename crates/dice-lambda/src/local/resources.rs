//! The API's resources and methods, as the SAM template declares them to API
//! Gateway: a request for anything else never reaches the function.

use aws_lambda_events::http::Method;

/// A matched resource: its template and the path parameters it captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Matched {
    /// The resource as declared, such as `/rolls/{id}`.
    pub(super) resource: &'static str,
    /// `{id}` and its value, for `/rolls/{id}`.
    pub(super) id: Option<String>,
}

/// The resource `method` on `path` (without the stage) names, if the API has it.
pub(super) fn match_resource(method: &Method, path: &str) -> Option<Matched> {
    let plain = |resource| Some(Matched { resource, id: None });
    match (method, path) {
        (&Method::POST, "/rolls") => plain("/rolls"),
        (&Method::POST, "/roll") => plain("/roll"),
        (&Method::POST, "/create-roll") => plain("/create-roll"),
        (&Method::GET, "/rolls") => plain("/rolls"),
        (&Method::GET, "/stats") => plain("/stats"),
        (&Method::GET, other) => {
            let id = other
                .strip_prefix("/rolls/")
                .filter(|id| !id.is_empty() && !id.contains('/'))?;
            Some(Matched {
                resource: "/rolls/{id}",
                id: Some(id.to_owned()),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_methods_and_paths_match() {
        assert_eq!(
            match_resource(&Method::POST, "/create-roll")
                .unwrap()
                .resource,
            "/create-roll"
        );
        let get = match_resource(&Method::GET, "/rolls/7").unwrap();
        assert_eq!(
            (get.resource, get.id.as_deref()),
            ("/rolls/{id}", Some("7"))
        );
        assert!(match_resource(&Method::DELETE, "/rolls").is_none());
        assert!(match_resource(&Method::GET, "/rolls/7/x").is_none());
        assert!(match_resource(&Method::GET, "/nope").is_none());
    }
}
