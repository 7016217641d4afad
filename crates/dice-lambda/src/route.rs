//! Which route a method and path ask for.

use aws_lambda_events::http::Method;

use crate::ApiError;

/// A route of the API, with what its path carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `POST /rolls`, and the tutorial's `POST /roll` and `POST /create-roll`.
    Create,
    /// `GET /rolls`.
    List,
    /// `GET /rolls/{id}`; the id is checked later, as input.
    Get(&'a str),
    /// `GET /stats`.
    Stats,
}

impl<'a> Route<'a> {
    /// The route for `method` on `path` (the resource path, without any stage);
    /// 404 for an unknown path, 405 with the allowed methods for a known one.
    pub(crate) fn of(method: &Method, path: &'a str) -> Result<Self, ApiError> {
        let trimmed = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let (route, allow) = match trimmed {
            "/rolls" if method == Method::POST => return Ok(Self::Create),
            "/rolls" if method == Method::GET => return Ok(Self::List),
            "/rolls" => (None, "GET, POST"),
            "/roll" | "/create-roll" if method == Method::POST => return Ok(Self::Create),
            "/roll" | "/create-roll" => (None, "POST"),
            "/stats" if method == Method::GET => return Ok(Self::Stats),
            "/stats" => (None, "GET"),
            other => match other
                .strip_prefix("/rolls/")
                .filter(|id| !id.is_empty() && !id.contains('/'))
            {
                Some(id) if method == Method::GET => return Ok(Self::Get(id)),
                Some(_) => (None, "GET"),
                None => (Some(path), ""),
            },
        };
        Err(match route {
            Some(path) => ApiError::NoRoute(shown(path)),
            None => ApiError::MethodNotAllowed { allow },
        })
    }
}

/// A path as quoted back to the client: bounded, since it is the client's text.
fn shown(path: &str) -> String {
    path.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::of(&Method::POST, "/rolls").unwrap(), Route::Create);
        assert_eq!(
            Route::of(&Method::POST, "/create-roll").unwrap(),
            Route::Create
        );
        assert_eq!(Route::of(&Method::POST, "/roll/").unwrap(), Route::Create);
        assert_eq!(
            Route::of(&Method::GET, "/rolls/7").unwrap(),
            Route::Get("7")
        );
        assert_eq!(Route::of(&Method::GET, "/stats").unwrap(), Route::Stats);
        assert_eq!(Route::of(&Method::GET, "/rolls").unwrap(), Route::List);
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert!(matches!(
            Route::of(&Method::GET, "/nope"),
            Err(ApiError::NoRoute(_))
        ));
        assert!(matches!(
            Route::of(&Method::GET, "/rolls/7/x"),
            Err(ApiError::NoRoute(_))
        ));
        assert!(matches!(
            Route::of(&Method::GET, ""),
            Err(ApiError::NoRoute(_))
        ));
        assert!(matches!(
            Route::of(&Method::DELETE, "/rolls"),
            Err(ApiError::MethodNotAllowed { allow: "GET, POST" })
        ));
        assert!(matches!(
            Route::of(&Method::GET, "/roll"),
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        ));
        assert!(matches!(
            Route::of(&Method::PUT, "/rolls/1"),
            Err(ApiError::MethodNotAllowed { allow: "GET" })
        ));
    }
}
