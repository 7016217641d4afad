//! The SAM template declares to API Gateway exactly the routes of the route
//! table: a route missing from either side fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use dice_lambda::routes::RESOURCES;

const TEMPLATE: &str = include_str!("../../../deploy/template.yaml");

/// A route as both sides declare it: method in upper case, path, and whether
/// it needs an API key.
type Declared = (String, String, bool);

/// Every `Type: Api` event in `template`; a key is required unless the event
/// says `ApiKeyRequired: false`.
///
/// A small reader of the template's own layout (each event a mapping of
/// `Type` and `Properties` with `Path` and `Method`), so the test needs no
/// YAML library; it refuses an `Api` event it cannot read rather than skip it.
fn api_events(template: &str) -> BTreeSet<Declared> {
    let mut events = BTreeSet::new();
    let mut current: Option<Event> = None;
    let mut flush = |event: Option<Event>| {
        if let Some(Event {
            api: true,
            path,
            method,
            key_required,
        }) = event
        {
            let (path, method) = (
                path.expect("an Api event without Path"),
                method.expect("an Api event without Method"),
            );
            events.insert((method.to_uppercase(), path, key_required));
        }
    };
    let mut in_events = false;
    for line in template.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text == "Events:" {
            in_events = true;
            continue;
        }
        if !in_events || text.is_empty() || text.starts_with('#') {
            continue;
        }
        if indent <= 6 {
            flush(current.take());
            in_events = false;
        } else if indent == 8 && text.ends_with(':') {
            flush(current.replace(Event::default()));
        } else if let Some(event) = current.as_mut() {
            match text.split_once(':').map(|(k, v)| (k.trim(), v.trim())) {
                Some(("Type", kind)) => event.api = kind == "Api",
                Some(("Path", path)) => event.path = Some(path.to_owned()),
                Some(("Method", method)) => event.method = Some(method.to_owned()),
                Some(("ApiKeyRequired", required)) => event.key_required = required != "false",
                _ => {}
            }
        }
    }
    flush(current);
    events
}

/// One event as read so far.
struct Event {
    api: bool,
    path: Option<String>,
    method: Option<String>,
    key_required: bool,
}

impl Default for Event {
    fn default() -> Self {
        Self {
            api: false,
            path: None,
            method: None,
            key_required: true,
        }
    }
}

/// Every route in the table.
fn table_routes() -> BTreeSet<Declared> {
    RESOURCES
        .iter()
        .flat_map(|resource| {
            resource.methods.iter().map(|(verb, _)| {
                (
                    verb.as_str().to_owned(),
                    resource.path.to_owned(),
                    resource.key_required,
                )
            })
        })
        .collect()
}

/// What one side declares and the other does not, in words.
fn differences(table: &BTreeSet<Declared>, template: &BTreeSet<Declared>) -> Vec<String> {
    let only = |a: &BTreeSet<_>, b: &BTreeSet<_>, side: &str| {
        a.difference(b)
            .map(|(method, path, key)| {
                let key = if *key { "" } else { " (no key)" };
                format!("{method} {path}{key} only in {side}")
            })
            .collect::<Vec<_>>()
    };
    let mut found = only(table, template, "the route table");
    found.extend(only(template, table, "deploy/template.yaml"));
    found
}

#[test]
fn the_template_declares_exactly_the_route_tables_routes() {
    let found = differences(&table_routes(), &api_events(TEMPLATE));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_route_forgotten_in_the_template_is_caught() {
    let without_stats = TEMPLATE.replace("Path: /stats", "Path: /statz");
    let found = differences(&table_routes(), &api_events(&without_stats));
    assert_eq!(
        found,
        [
            "GET /stats only in the route table",
            "GET /statz only in deploy/template.yaml"
        ]
    );
}

#[test]
fn a_page_left_behind_an_api_key_is_caught() {
    let keyed = TEMPLATE.replace("ApiKeyRequired: false", "ApiKeyRequired: true");
    let found = differences(&table_routes(), &api_events(&keyed));
    assert_eq!(
        found,
        [
            "GET / (no key) only in the route table",
            "GET / only in deploy/template.yaml"
        ]
    );
}

#[test]
fn the_reader_sees_every_api_event_of_the_template() {
    let events = api_events(TEMPLATE);
    assert_eq!(events.len(), TEMPLATE.matches("Type: Api").count());
    assert!(events.contains(&("POST".to_owned(), "/create-roll".to_owned(), true)));
    assert!(events.contains(&("GET".to_owned(), "/".to_owned(), false)));
}
