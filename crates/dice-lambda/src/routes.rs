//! The API's one route table: every resource, its methods and the operation
//! each runs. The handler's routing, the local gateway's resource matching and
//! the `Allow` lists are all read from [`RESOURCES`]; a test holds the SAM
//! template's `Api` events to it.

use aws_lambda_events::http::Method;

/// What a request asks the service to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Record one roll or a batch.
    Create,
    /// One page of rolls, newest first.
    List,
    /// One roll by id.
    Get,
    /// Counts per outcome.
    Stats,
    /// The page people use, at the stage root.
    Page,
}

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Verb {
    /// The method's name as HTTP writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    fn of(method: &Method) -> Option<Self> {
        match *method {
            Method::GET => Some(Self::Get),
            Method::POST => Some(Self::Post),
            _ => None,
        }
    }
}

/// A resource path and what each of its methods does.
#[derive(Debug, PartialEq, Eq)]
pub struct Resource {
    /// The path as API Gateway declares it; `{id}` stands for one segment.
    pub path: &'static str,
    /// Its methods, in the order the `Allow` header lists them.
    pub methods: &'static [(Verb, Operation)],
    /// Whether API Gateway asks for an API key (`ApiKeyRequired`).
    pub key_required: bool,
}

/// Every resource of the API. Adding a route is one line here and one `Api`
/// event in `deploy/template.yaml` (a test fails until both agree).
pub const RESOURCES: &[Resource] = &[
    // The page holds no data; every call it makes carries the person's key.
    Resource {
        path: "/",
        methods: &[(Verb::Get, Operation::Page)],
        key_required: false,
    },
    Resource {
        path: "/rolls",
        methods: &[
            (Verb::Get, Operation::List),
            (Verb::Post, Operation::Create),
        ],
        key_required: true,
    },
    // The tutorial's paths for creating a roll.
    Resource {
        path: "/roll",
        methods: &[(Verb::Post, Operation::Create)],
        key_required: true,
    },
    Resource {
        path: "/create-roll",
        methods: &[(Verb::Post, Operation::Create)],
        key_required: true,
    },
    Resource {
        path: "/rolls/{id}",
        methods: &[(Verb::Get, Operation::Get)],
        key_required: true,
    },
    Resource {
        path: "/stats",
        methods: &[(Verb::Get, Operation::Stats)],
        key_required: true,
    },
];

/// A request matched to a route: the resource, the operation, and the `{id}`
/// segment when the resource has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'a> {
    /// The resource matched.
    pub resource: &'static Resource,
    /// What the method asks of it.
    pub operation: Operation,
    /// The `{id}` path parameter, unchecked: it is input.
    pub id: Option<&'a str>,
}

/// Why a method and path name no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrouted {
    /// No resource has this path.
    NoResource,
    /// The resource exists, without this method.
    NoMethod(&'static Resource),
}

impl Resource {
    /// The `{id}` segment if `path` is this resource (`Some(None)` for a
    /// resource without parameters), `None` otherwise.
    fn matches<'a>(&self, path: &'a str) -> Option<Option<&'a str>> {
        match self.path.split_once("{id}") {
            None => (self.path == path).then_some(None),
            Some((before, after)) => {
                let id = path.strip_prefix(before)?.strip_suffix(after)?;
                (!id.is_empty() && !id.contains('/')).then_some(Some(id))
            }
        }
    }

    /// The methods as an `Allow` header lists them: `GET, POST`.
    pub fn allow(&self) -> String {
        let verbs: Vec<&str> = self.methods.iter().map(|(verb, _)| verb.as_str()).collect();
        verbs.join(", ")
    }
}

/// The route `method` on `path` (the resource path, without any stage) names.
pub fn route<'a>(method: &Method, path: &'a str) -> Result<Route<'a>, Unrouted> {
    let (resource, id) = RESOURCES
        .iter()
        .find_map(|resource| Some((resource, resource.matches(path)?)))
        .ok_or(Unrouted::NoResource)?;
    let verb = Verb::of(method);
    let operation = resource
        .methods
        .iter()
        .find(|(v, _)| Some(*v) == verb)
        .map(|(_, operation)| *operation)
        .ok_or(Unrouted::NoMethod(resource))?;
    Ok(Route {
        resource,
        operation,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(method: Method, path: &str) -> Result<(Operation, Option<&str>), Unrouted> {
        route(&method, path).map(|r| (r.operation, r.id))
    }

    #[test]
    fn every_operation_is_found_at_its_paths() {
        assert_eq!(
            operation(Method::POST, "/rolls"),
            Ok((Operation::Create, None))
        );
        assert_eq!(
            operation(Method::POST, "/roll"),
            Ok((Operation::Create, None))
        );
        assert_eq!(
            operation(Method::POST, "/create-roll"),
            Ok((Operation::Create, None))
        );
        assert_eq!(
            operation(Method::GET, "/rolls"),
            Ok((Operation::List, None))
        );
        assert_eq!(
            operation(Method::GET, "/rolls/7"),
            Ok((Operation::Get, Some("7")))
        );
        assert_eq!(
            operation(Method::GET, "/stats"),
            Ok((Operation::Stats, None))
        );
    }

    #[test]
    fn an_unknown_path_has_no_resource() {
        for path in ["/nope", "/rolls/7/x", "/rolls/", "", "//", "/stats/"] {
            assert_eq!(
                operation(Method::GET, path),
                Err(Unrouted::NoResource),
                "{path}"
            );
        }
    }

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        let allow = |method, path| match route(&method, path) {
            Err(Unrouted::NoMethod(resource)) => resource.allow(),
            other => panic!("{other:?}"),
        };
        assert_eq!(allow(Method::DELETE, "/rolls"), "GET, POST");
        assert_eq!(allow(Method::GET, "/roll"), "POST");
        assert_eq!(allow(Method::PUT, "/rolls/1"), "GET");
    }

    #[test]
    fn every_resource_path_is_distinct_and_starts_with_a_slash() {
        for (i, resource) in RESOURCES.iter().enumerate() {
            assert!(resource.path.starts_with('/'), "{}", resource.path);
            assert!(!resource.methods.is_empty(), "{}", resource.path);
            assert!(
                RESOURCES[i + 1..]
                    .iter()
                    .all(|other| other.path != resource.path),
                "{} twice",
                resource.path
            );
        }
    }
}
