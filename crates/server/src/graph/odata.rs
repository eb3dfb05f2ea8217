//! What the directory endpoints share: OData query options (`$top`, `$filter`,
//! `$skiptoken`, `$select`), `@odata.context` and `@odata.nextLink`, JSON
//! bodies read strictly, and looking up the user or group a path names.
//!
//! Every refusal here happens before anything is written.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, NestedPath};
use axum::http::request::Parts;
use keybound_store::{Group, GroupId, NameField, NameFilter, NameMatch, Store, User, UserId};
use serde_json::{json, Map, Value};

use super::audit::percent_encode;
use super::filter::{self, Filter, Literal, Op};
use crate::error::ApiError;
use crate::state::AppState;

/// `https://login.example.org/v1.0` or `…/beta`: the prefix the request came in on,
/// so `@odata.context` and `@odata.nextLink` point back at the same version.
#[derive(Clone, Debug)]
pub(crate) struct GraphBase(String);

impl GraphBase {
    /// The base URL followed by `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// `@odata.context` for `fragment` (`users`, `users/$entity`, …).
    pub(crate) fn context(&self, fragment: &str) -> String {
        format!("{}/$metadata#{fragment}", self.0)
    }
}

impl FromRequestParts<AppState> for GraphBase {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let nested = NestedPath::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::internal("a Graph route was served outside /v1.0 or /beta"))?;
        Ok(GraphBase(format!(
            "{}{}",
            state.config.public_url,
            nested.as_str().trim_end_matches('/')
        )))
    }
}

/// The system query options an endpoint accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueryOption {
    Top,
    Filter,
    SkipToken,
    Select,
}

impl QueryOption {
    fn name(self) -> &'static str {
        match self {
            QueryOption::Top => "$top",
            QueryOption::Filter => "$filter",
            QueryOption::SkipToken => "$skiptoken",
            QueryOption::Select => "$select",
        }
    }
}

/// A collection endpoint's options.
pub(crate) const LIST: &[QueryOption] = &[
    QueryOption::Top,
    QueryOption::Filter,
    QueryOption::SkipToken,
    QueryOption::Select,
];
/// A single entity's options.
pub(crate) const ENTITY: &[QueryOption] = &[QueryOption::Select];
/// A small collection without filtering.
pub(crate) const PLAIN_LIST: &[QueryOption] = &[
    QueryOption::Top,
    QueryOption::SkipToken,
    QueryOption::Select,
];
/// Nothing.
pub(crate) const NONE: &[QueryOption] = &[];

/// Query options as read and checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// `$top` (0 when not given: the store's default page of 100).
    pub(crate) top: u32,
    /// `$skiptoken`, as issued by an earlier page.
    pub(crate) skip_token: Option<String>,
    /// `$filter`, unparsed.
    pub(crate) filter: Option<String>,
    /// `$select`'s property names.
    pub(crate) select: Option<Vec<String>>,
    /// Every option as given, to carry into `@odata.nextLink`.
    raw: Vec<(String, String)>,
}

impl Options {
    /// Reads the options, refusing any `$` option the endpoint does not support.
    pub(crate) fn parse(
        params: &HashMap<String, String>,
        allowed: &[QueryOption],
    ) -> Result<Self, ApiError> {
        let mut options = Options::default();
        let mut names: Vec<&String> = params.keys().collect();
        names.sort();
        for name in names {
            let Some(value) = params.get(name) else {
                continue;
            };
            if !name.starts_with('$') {
                continue;
            }
            let Some(option) = allowed
                .iter()
                .copied()
                .find(|o| o.name().eq_ignore_ascii_case(name))
            else {
                let supported: Vec<&str> = allowed.iter().map(|o| o.name()).collect();
                return Err(bad_request(format!(
                    "Query option '{name}' is not supported on this endpoint; {}",
                    if supported.is_empty() {
                        "it takes no query options".to_owned()
                    } else {
                        format!("supported: {}", supported.join(", "))
                    }
                )));
            };
            match option {
                QueryOption::Top => options.top = parse_top(value)?,
                QueryOption::SkipToken => options.skip_token = Some(value.clone()),
                QueryOption::Filter => options.filter = Some(value.clone()),
                QueryOption::Select => {
                    let fields: Vec<String> = value
                        .split(',')
                        .map(|f| f.trim().to_owned())
                        .filter(|f| !f.is_empty())
                        .collect();
                    if fields.is_empty() {
                        return Err(bad_request(
                            "$select is empty: name the properties to return, such as $select=id,displayName",
                        ));
                    }
                    options.select = Some(fields);
                }
            }
            if option != QueryOption::SkipToken {
                options.raw.push((option.name().to_owned(), value.clone()));
            }
        }
        Ok(options)
    }

    /// `@odata.nextLink` for `path` continuing at `token`, with this request's other options.
    pub(crate) fn next_link(&self, base: &GraphBase, path: &str, token: &str) -> String {
        let mut link = base.url(path);
        link.push_str("?$skiptoken=");
        link.push_str(&percent_encode(token));
        for (name, value) in &self.raw {
            link.push('&');
            link.push_str(name);
            link.push('=');
            link.push_str(&percent_encode(value));
        }
        link
    }

    /// Keeps only the `$select`ed properties (and `@odata.type`); refuses a property `known` lacks.
    pub(crate) fn select(
        &self,
        entity: Value,
        type_name: &str,
        known: &[&str],
    ) -> Result<Value, ApiError> {
        let Some(fields) = &self.select else {
            return Ok(entity);
        };
        let mut wanted = Vec::with_capacity(fields.len());
        for field in fields {
            let Some(name) = known.iter().find(|k| k.eq_ignore_ascii_case(field)) else {
                return Err(bad_request(format!(
                    "Could not find a property named '{field}' on type 'microsoft.graph.{type_name}'. Properties you can $select: {}",
                    known.join(", ")
                )));
            };
            wanted.push(*name);
        }
        let Value::Object(map) = entity else {
            return Ok(entity);
        };
        Ok(Value::Object(
            map.into_iter()
                .filter(|(k, _)| k == "@odata.type" || wanted.contains(&k.as_str()))
                .collect(),
        ))
    }
}

/// `$top`: a whole number from 1 to 999.
fn parse_top(text: &str) -> Result<u32, ApiError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=999).contains(n))
        .ok_or_else(|| {
            bad_request(format!(
                "$top `{text}` must be a whole number from 1 to 999"
            ))
        })
}

/// A Graph collection: `{"@odata.context", "value", "@odata.nextLink"?}`.
pub(crate) fn collection(context: String, items: Vec<Value>, next_link: Option<String>) -> Value {
    let mut body = json!({"@odata.context": context, "value": items});
    if let Some(next) = next_link {
        body["@odata.nextLink"] = Value::String(next);
    }
    body
}

/// An entity with its `@odata.context` first.
pub(crate) fn entity(context: String, value: Value) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(map) = value {
        out.extend(map);
    }
    Value::Object(out)
}

/// Pages a list already ordered by id: items after `skip_token` (an id this
/// function issued), at most `top` (default 100), and the next token.
pub(crate) fn page_by_id<T>(
    items: Vec<T>,
    options: &Options,
    id_of: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let after = match &options.skip_token {
        Some(token) => Some(decode_token(token)?),
        None => None,
    };
    let limit = usize::try_from(if options.top == 0 { 100 } else { options.top }).unwrap_or(100);
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|item| after.as_deref().is_none_or(|a| id_of(item) > a))
        .collect();
    let next = if rest.len() > limit {
        rest.truncate(limit);
        rest.last().map(|last| encode_token(id_of(last)))
    } else {
        None
    };
    Ok((rest, next))
}

/// An opaque continuation token for a position text.
pub(crate) fn encode_token(position: &str) -> String {
    keybound_webauthn::encoding::encode(position.as_bytes())
}

/// The position a token this server issued stands for.
pub(crate) fn decode_token(token: &str) -> Result<String, ApiError> {
    keybound_webauthn::encoding::decode(token)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            bad_request(
                "the $skiptoken is not one Keybound issued; start again from the first page",
            )
        })
}

/// A 400 `Request_BadRequest`.
pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("Request_BadRequest", message)
}

/// Graph's 404 for a missing object, saying what was looked for.
pub(crate) fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not present: no {kind} has this id."
    ))
}

/// Reads a directory listing's `$filter`: one clause, `eq` or `startswith`, on
/// one of `fields` (Graph name and the store field it maps to).
pub(crate) fn name_filter(
    text: &str,
    fields: &[(&str, NameField)],
) -> Result<NameFilter, ApiError> {
    let supported = || {
        fields
            .iter()
            .flat_map(|(name, _)| [format!("{name} eq '…'"), format!("startswith({name},'…')")])
            .collect::<Vec<_>>()
            .join(", ")
    };
    let parsed = filter::parse(text)
        .map_err(|e| bad_request(format!("{e}. Supported: {}.", supported())))?;
    let unsupported = |what: String| {
        bad_request(format!(
            "Invalid filter clause: {what} is not supported here. Supported, one clause: {}.",
            supported()
        ))
    };
    let (path, matching, value) = match &parsed {
        Filter::Compare {
            path,
            op: Op::Eq,
            value: Literal::String(value),
        } => (path, NameMatch::Equals, value),
        Filter::StartsWith { path, prefix } => (path, NameMatch::StartsWith, prefix),
        Filter::And(_) => return Err(unsupported("more than one clause".into())),
        Filter::Compare { path, op, value } => {
            return Err(unsupported(format!("`{path} {op} {}`", describe(value))))
        }
        Filter::Any { path, .. } => return Err(unsupported(format!("`{path}/any(…)`"))),
    };
    let field = fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(path))
        .map(|(_, field)| *field)
        .ok_or_else(|| unsupported(format!("filtering on `{path}`")))?;
    Ok(NameFilter {
        field,
        matching,
        value: value.clone(),
    })
}

/// A literal as it was written, for messages.
pub(crate) fn describe(value: &Literal) -> String {
    match value {
        Literal::String(s) => format!("'{s}'"),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
        Literal::Number(n) => n.to_string(),
        Literal::DateTime(d) => d.clone(),
    }
}

/// A JSON object body, or a 400 saying what is wrong with it.
pub(crate) fn body_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad_request(
            "The request body is empty; send a JSON object (Content-Type: application/json)",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("The request body must be a JSON object")),
        Err(e) => Err(bad_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// Refuses the first property not in `allowed`, naming it.
pub(crate) fn refuse_unknown(
    body: &Map<String, Value>,
    allowed: &[&str],
    type_name: &str,
) -> Result<(), ApiError> {
    let mut keys: Vec<&String> = body.keys().collect();
    keys.sort();
    for key in keys {
        if key != "@odata.type" && !allowed.contains(&key.as_str()) {
            return Err(bad_request(format!(
                "Property '{key}' does not exist as a declared property of microsoft.graph.{type_name} that Keybound accepts here; accepted: {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// An optional string property (`null` counts as absent).
pub(crate) fn opt_string<'a>(
    body: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(bad_request(format!(
            "Invalid value specified for property '{field}': expected a string, found {other}"
        ))),
    }
}

/// An optional boolean property (`null` counts as absent).
pub(crate) fn opt_bool(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(bad_request(format!(
            "Invalid value specified for property '{field}': expected true or false, found {other}"
        ))),
    }
}

/// The user a path names by object id or userPrincipalName (ignoring case), or 404.
pub(crate) async fn find_user(store: &dyn Store, id_or_upn: &str) -> Result<User, ApiError> {
    let found = match UserId::parse(id_or_upn) {
        Ok(id) => store.get_user(&id).await?,
        Err(_) => store.get_user_by_upn(id_or_upn.trim()).await?,
    };
    found.ok_or_else(|| {
        ApiError::not_found(format!(
            "Resource '{id_or_upn}' does not exist or one of its queried reference-property objects are not present: no user has this id or userPrincipalName."
        ))
    })
}

/// The group a path names by object id: 400 for a malformed id, 404 for a missing group.
pub(crate) async fn find_group(store: &dyn Store, id: &str) -> Result<Group, ApiError> {
    let group_id = GroupId::parse(id)
        .map_err(|_| bad_request(format!("Invalid object identifier '{id}'.")))?;
    store
        .get_group(&group_id)
        .await?
        .ok_or_else(|| not_found("group", id))
}

/// A property's old and new values as Graph writes them in `modifiedProperties` (`["value"]`).
pub(crate) fn graph_value(value: impl Into<Value>) -> String {
    Value::Array(vec![value.into()]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)], allowed: &[QueryOption]) -> Result<Options, ApiError> {
        let params = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Options::parse(&params, allowed)
    }

    #[track_caller]
    fn check_refused(pairs: &[(&str, &str)], allowed: &[QueryOption], fragment: &str) {
        let message = options(pairs, allowed).unwrap_err().to_string();
        assert!(message.contains(fragment), "{message}");
    }

    #[test]
    fn options_are_checked_and_carried_into_next_links() {
        check_refused(&[("$top", "0")], LIST, "from 1 to 999");
        check_refused(&[("$top", "1000")], LIST, "from 1 to 999");
        check_refused(&[("$top", "ten")], LIST, "from 1 to 999");
        check_refused(
            &[("$orderby", "displayName")],
            LIST,
            "'$orderby' is not supported",
        );
        check_refused(&[("$filter", "x")], ENTITY, "supported: $select");
        check_refused(&[("$select", " , ")], LIST, "$select is empty");
        let parsed = options(
            &[
                ("$top", "2"),
                ("$filter", "startswith(displayName,'a b')"),
                ("other", "x"),
            ],
            LIST,
        )
        .unwrap();
        assert_eq!(parsed.top, 2);
        let base = GraphBase("https://id.example.org/beta".into());
        assert_eq!(
            parsed.next_link(&base, "/users", "tok"),
            "https://id.example.org/beta/users?$skiptoken=tok&$filter=startswith%28displayName%2C%27a%20b%27%29&$top=2"
        );
    }

    #[test]
    fn pages_by_id_resume_after_the_last_id() {
        let items = vec!["a", "b", "c", "d", "e"];
        let mut opts = options(&[("$top", "2")], PLAIN_LIST).unwrap();
        let mut seen = Vec::new();
        loop {
            let (page, next) = page_by_id(items.clone(), &opts, |s| s).unwrap();
            seen.extend(page);
            match next {
                Some(token) => opts.skip_token = Some(token),
                None => break,
            }
        }
        assert_eq!(seen, items);
        opts.skip_token = Some("%%%".into());
        assert!(page_by_id(items, &opts, |s| s).is_err());
    }

    #[test]
    fn select_keeps_what_was_asked() {
        let opts = options(&[("$select", "id,DisplayName")], ENTITY).unwrap();
        let value = json!({"@odata.type": "#t", "id": "1", "displayName": "A", "other": 2});
        assert_eq!(
            opts.select(value.clone(), "user", &["id", "displayName", "other"])
                .unwrap(),
            json!({"@odata.type": "#t", "id": "1", "displayName": "A"})
        );
        let opts = options(&[("$select", "nope")], ENTITY).unwrap();
        assert!(opts
            .select(value, "user", &["id"])
            .unwrap_err()
            .to_string()
            .contains("'nope'"));
    }
}
