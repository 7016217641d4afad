//! A small stand-in in front of moto for what moto does not do as API
//! Gateway does, and nothing else:
//!
//! - **Pages.** API Gateway answers GetApiKeys, GetUsagePlans and
//!   GetUsagePlanKeys 25 items at a time (`limit`, at most 500) with a
//!   `position` for the next page; moto (5.2.5) answers every item at once.
//!   The stand-in asks moto for all of them and answers one page.
//! - **GetUsage.** moto has no GetUsage (its server answers 404). The
//!   stand-in answers `GET /usageplans/{id}/usage` in the shape AWS
//!   documents (botocore 1.44.8's `Usage`: `usagePlanId`, `startDate`, `endDate`,
//!   and `values`, key id to one `[used, remaining]` pair per day from
//!   `startDate`), from requests the test records, with the plan's quota and
//!   keys read from moto.
//!
//! Every other request goes to moto unchanged, and moto's answer comes back
//! unchanged.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use dice_keys::{Day, Period, Quota};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use super::moto::moto;

/// API Gateway's page size when no `limit` is given.
const PAGE: usize = 25;

type Usage = HashMap<String, BTreeMap<Day, u64>>;

/// The stand-in's address and the requests recorded for GetUsage.
pub struct StandIn {
    pub url: String,
    usage: Arc<Mutex<Usage>>,
}

impl StandIn {
    /// Records `count` requests by `key_id` on `day`, as API Gateway counts
    /// them for GetUsage.
    pub fn record(&self, key_id: &str, day: Day, count: u64) {
        let mut usage = self.usage.lock().unwrap();
        *usage
            .entry(key_id.to_owned())
            .or_default()
            .entry(day)
            .or_default() += count;
    }
}

#[derive(Clone)]
struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    moto: String,
    usage: Arc<Mutex<Usage>>,
}

/// The stand-in of this test binary, serving on a thread of its own so it
/// outlives every test's runtime.
pub fn stand_in() -> &'static StandIn {
    static STAND_IN: OnceLock<StandIn> = OnceLock::new();
    STAND_IN.get_or_init(start)
}

fn start() -> StandIn {
    let moto = format!("http://127.0.0.1:{}", moto().port);
    let usage = Arc::new(Mutex::new(Usage::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::clone(&usage);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let upstream = Upstream {
                client: Client::builder(TokioExecutor::new()).build_http(),
                moto,
                usage: shared,
            };
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let upstream = upstream.clone();
                        async move { Ok::<_, Infallible>(upstream.answer(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    StandIn { url, usage }
}

fn query(request: &Request<Incoming>) -> Vec<(String, String)> {
    request
        .uri()
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn is_paged_list(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["apikeys"] | ["usageplans"] | ["usageplans", _, "keys"]
    )
}

fn usage_plan_of(path: &str) -> Option<&str> {
    match path
        .trim_matches('/')
        .split('/')
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["usageplans", plan, "usage"] => Some(plan),
        _ => None,
    }
}

impl Upstream {
    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        if request.method() == Method::GET {
            if let Some(plan) = usage_plan_of(&path) {
                return self.get_usage(plan.to_owned(), &request).await;
            }
            if is_paged_list(&path) {
                return self.page(request).await;
            }
        }
        self.forward(request).await
    }

    /// Sends `request` to moto as it is; moto's answer as it is.
    async fn forward(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        let target = match parts.uri.path_and_query() {
            Some(pq) => format!("{}{pq}", self.moto),
            None => self.moto.clone(),
        };
        let mut upstream = Request::builder().method(parts.method).uri(target);
        for (name, value) in &parts.headers {
            upstream = upstream.header(name, value);
        }
        let answer = self
            .client
            .request(upstream.body(Full::new(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = answer.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Response::from_parts(parts, Full::new(body))
    }

    /// A GET to moto at `path`, its JSON answer.
    async fn get_json(&self, path: &str, headers: &hyper::HeaderMap) -> Value {
        let mut upstream = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.moto));
        for (name, value) in headers {
            upstream = upstream.header(name, value);
        }
        let answer = self
            .client
            .request(upstream.body(Full::new(Bytes::new())).unwrap())
            .await
            .unwrap();
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&body).unwrap()
    }

    /// One page of a list moto answers whole.
    async fn page(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let query = query(&request);
        let get = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let limit = match get("limit").map(|l| l.parse::<usize>()) {
            None => PAGE,
            Some(Ok(limit @ 1..=500)) => limit,
            Some(_) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"message": "limit must be from 1 to 500"}),
                );
            }
        };
        let offset = match get("position") {
            None => 0,
            Some(position) => match position.strip_prefix("at").and_then(|n| n.parse().ok()) {
                Some(offset) => offset,
                None => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        &json!({"message": "Invalid position parameter"}),
                    );
                }
            },
        };
        // The rest of the query (keyId, includeValues, name) goes to moto.
        let rest: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "limit" && k != "position")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut path = request.uri().path().to_owned();
        if !rest.is_empty() {
            path = format!("{path}?{}", rest.join("&"));
        }
        let all = self.get_json(&path, request.headers()).await;
        let items = all["item"].as_array().cloned().unwrap_or_default();
        let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
        let mut body = json!({ "item": page });
        if offset + limit < items.len() {
            body["position"] = json!(format!("at{}", offset + limit));
        }
        json_response(StatusCode::OK, &body)
    }

    /// GetUsage, in the shape AWS documents, from the recorded requests.
    async fn get_usage(&self, plan: String, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        let query = query(request);
        let get = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let (Some(start), Some(end)) = (
            get("startDate").as_deref().and_then(Day::parse),
            get("endDate").as_deref().and_then(Day::parse),
        ) else {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"message": "startDate and endDate are required (yyyy-MM-dd)"}),
            );
        };
        let details = self
            .get_json(&format!("/usageplans/{plan}"), request.headers())
            .await;
        if details.get("id").is_none() {
            return json_response(
                StatusCode::NOT_FOUND,
                &json!({"message": "Invalid Usage Plan ID specified"}),
            );
        }
        let quota = details["quota"]["limit"].as_u64().and_then(|limit| {
            let period = Period::from_aws_name(details["quota"]["period"].as_str()?)?;
            Quota::new(limit, period).ok()
        });
        let keys = self
            .get_json(&format!("/usageplans/{plan}/keys"), request.headers())
            .await;
        let mut ids: Vec<String> = keys["item"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|key| key["id"].as_str().map(str::to_owned))
            .collect();
        if let Some(key) = get("keyId") {
            ids.retain(|id| *id == key);
        }
        let usage = self.usage.lock().unwrap().clone();
        let mut values = serde_json::Map::new();
        for id in ids {
            let days = usage.get(&id).cloned().unwrap_or_default();
            let mut pairs = Vec::new();
            let mut day = start;
            while day <= end {
                let used = days.get(&day).copied().unwrap_or(0);
                let remaining = quota.map_or(0, |quota| {
                    let spent: u64 = days
                        .range(quota.period.first_day(day)..=day)
                        .map(|(_, n)| *n)
                        .sum();
                    quota.limit.saturating_sub(spent)
                });
                pairs.push(json!([used, remaining]));
                day = day.next();
            }
            values.insert(id, Value::Array(pairs));
        }
        json_response(
            StatusCode::OK,
            &json!({
                "usagePlanId": plan,
                "startDate": start.to_string(),
                "endDate": end.to_string(),
                "values": values,
            }),
        )
    }
}
