//! `GET /auditLogs/directoryAudits`: the audit log in Graph's `directoryAudit` shape.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use keybound_store::{AuditEntry, AuditQuery, AuditResult, Initiator, Timestamp};
use serde_json::{json, Value};

use super::filter::{self, Filter, Literal, Op};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

/// Lists audit entries, newest first, with `$filter`, `$top` and `$skiptoken`.
pub(crate) async fn list(
    caller: GraphCaller,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Scope::AuditLogReadAll])?;
    let mut query = AuditQuery {
        top: top(&params)?,
        skip_token: params.get("$skiptoken").cloned(),
        ..AuditQuery::default()
    };
    if let Some(text) = params.get("$filter") {
        apply_filter(&mut query, text)?;
    }
    let page = state.store.query_audit(&query).await?;
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#auditLogs/directoryAudits", state.config.public_url),
        "value": page.items.iter().map(to_graph).collect::<Vec<_>>(),
    });
    if let Some(token) = page.next_skip_token {
        let mut next = format!(
            "{}/v1.0/auditLogs/directoryAudits?$skiptoken={token}",
            state.config.public_url
        );
        if let Some(f) = params.get("$filter") {
            next.push_str(&format!("&$filter={}", percent_encode(f)));
        }
        if let Some(t) = params.get("$top") {
            next.push_str(&format!("&$top={t}"));
        }
        body["@odata.nextLink"] = Value::String(next);
    }
    Ok(Json(body))
}

/// `$top`, 1 to 999 (Graph's limit for audit logs).
pub(crate) fn top(params: &HashMap<String, String>) -> Result<u32, ApiError> {
    match params.get("$top") {
        None => Ok(0),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=999).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "Request_BadRequest",
                    format!("$top `{text}` must be a whole number from 1 to 999"),
                )
            }),
    }
}

fn apply_filter(query: &mut AuditQuery, text: &str) -> Result<(), ApiError> {
    let parsed = filter::parse(text)
        .map_err(|e| ApiError::bad_request("Request_BadRequest", e.to_string()))?;
    let unsupported = |what: String| {
        ApiError::bad_request(
            "Request_BadRequest",
            format!("Invalid filter clause: {what}. Supported: activityDisplayName eq '…', result eq 'success|failure|timeout', activityDateTime ge|gt|le|lt <date-time>, joined with and."),
        )
    };
    for clause in parsed.clauses() {
        match clause {
            Filter::Compare {
                path,
                op: Op::Eq,
                value: Literal::String(v),
            } if path == "activityDisplayName" => {
                query.activity_display_name = Some(v.clone());
            }
            Filter::Compare {
                path,
                op: Op::Eq,
                value: Literal::String(v),
            } if path == "result" => {
                query.result = Some(
                    AuditResult::parse(v)
                        .ok_or_else(|| unsupported(format!("`{v}` is not a result")))?,
                );
            }
            Filter::Compare {
                path,
                op,
                value: Literal::DateTime(v),
            } if path == "activityDateTime" => {
                let at = Timestamp::parse_rfc3339(v)
                    .map_err(|_| unsupported(format!("`{v}` is not a date-time")))?;
                match op {
                    Op::Ge => query.from = Some(at),
                    Op::Gt => query.from = Some(at.plus_millis(1)),
                    Op::Le => query.to = Some(at),
                    Op::Lt => query.to = Some(at.plus_millis(-1)),
                    Op::Eq | Op::Ne => {
                        return Err(unsupported(format!(
                            "activityDateTime {op} is not supported"
                        )))
                    }
                }
            }
            other => {
                return Err(unsupported(format!(
                    "{other:?} is not supported on directoryAudits"
                )))
            }
        }
    }
    Ok(())
}

/// The Graph JSON of one entry.
pub(crate) fn to_graph(entry: &AuditEntry) -> Value {
    let initiated_by = match &entry.initiated_by {
        Initiator::User(user) => json!({"user": user, "app": null}),
        Initiator::App(app) => json!({"user": null, "app": app}),
    };
    json!({
        "id": entry.id,
        "category": entry.category,
        "correlationId": entry.correlation_id,
        "result": entry.result.as_str(),
        "resultReason": entry.result_reason,
        "activityDisplayName": entry.activity_display_name,
        "activityDateTime": entry.activity_date_time.to_rfc3339(),
        "loggedByService": entry.logged_by_service,
        "operationType": entry.operation_type,
        "initiatedBy": initiated_by,
        "targetResources": entry.target_resources,
        "additionalDetails": entry.additional_details,
    })
}

pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
