//! Environment variables: `GET/POST/PUT /v1/apps/{app}/variables` (PUT
//! sets several at once), `PATCH/DELETE /v1/apps/{app}/variables/{id}`. As on the real platform,
//! changing a variable records an event but does not restart the app: the
//! new value is only seen by containers started afterwards.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::platform::body;
use crate::state::{AppState, Variable};
use crate::time::new_id;

/// Longest variable name accepted; longer names are a client bug.
const MAX_NAME_LEN: usize = 255;

#[derive(Debug, Deserialize)]
struct VariableBody {
    variable: VariableFields,
}

#[derive(Debug, Deserialize)]
struct VariableFields {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

/// `GET /v1/apps/{app}/variables`.
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Path(app): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&app).ok_or(ApiError::NotFound("app"))?;
    let variables: Vec<Value> = app.variables.iter().map(variable_json).collect();
    Ok(Json(json!({ "variables": variables })))
}

/// `POST /v1/apps/{app}/variables` `{"variable":{"name","value"}}` -> 201.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: VariableBody = body::parse(&bytes, r#"{"variable":{"name":..,"value":..}}"#)?;
    let name = request.variable.name.unwrap_or_default();
    let value = request.variable.value.unwrap_or_default();
    let mut world = state.world();
    let app = world.apps.get_mut(&app).ok_or(ApiError::NotFound("app"))?;
    check_name(&name)?;
    if app.variables.iter().any(|v| v.name == name) {
        return Err(ApiError::unprocessable("name", "has already been taken"));
    }
    let variable = Variable {
        id: new_id(),
        name,
        value,
    };
    app.variables.push(variable.clone());
    app.push_event(
        &caller.user,
        "new_variable",
        json!({ "name": variable.name, "value": variable.value }),
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({ "variable": variable_json(&variable) })),
    ))
}

#[derive(Debug, Deserialize)]
struct BulkBody {
    variables: Vec<BulkVariable>,
}

#[derive(Debug, Deserialize)]
struct BulkVariable {
    name: String,
    #[serde(default)]
    value: String,
}

/// `PUT /v1/apps/{app}/variables` `{"variables":[{"name","value"}]}`:
/// creates or updates each one, answers them all; one `edit_variables`
/// event records what was new and what changed.
pub async fn set_many(
    State(state): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: BulkBody = body::parse(&bytes, r#"{"variables":[{"name":..,"value":..}]}"#)?;
    let mut world = state.world();
    let app = world.apps.get_mut(&app).ok_or(ApiError::NotFound("app"))?;
    // Checked before any change, so a refused request changes nothing.
    let mut seen = std::collections::HashSet::new();
    for v in &request.variables {
        check_name(&v.name)?;
        if !seen.insert(v.name.as_str()) {
            return Err(ApiError::unprocessable(
                "name",
                &format!("`{}` is given twice", v.name),
            ));
        }
    }
    let mut answered = Vec::new();
    let mut new_vars = Vec::new();
    let mut updated_vars = Vec::new();
    for v in request.variables {
        match app.variables.iter_mut().find(|e| e.name == v.name) {
            Some(existing) => {
                updated_vars
                    .push(json!({ "name": v.name, "value": v.value, "old_value": existing.value }));
                existing.value = v.value;
                answered.push(variable_json(existing));
            }
            None => {
                new_vars.push(json!({ "name": v.name, "value": v.value }));
                let variable = Variable {
                    id: new_id(),
                    name: v.name,
                    value: v.value,
                };
                answered.push(variable_json(&variable));
                app.variables.push(variable);
            }
        }
    }
    app.push_event(
        &caller.user,
        "edit_variables",
        json!({ "new_vars": new_vars, "updated_vars": updated_vars }),
    );
    Ok(Json(json!({ "variables": answered })))
}

/// `PATCH /v1/apps/{app}/variables/{id}` `{"variable":{"value"}}` (a new
/// `name` is accepted too, checked like a new variable's).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((app, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: VariableBody = body::parse(&bytes, r#"{"variable":{"value":..}}"#)?;
    let mut world = state.world();
    let app = world.apps.get_mut(&app).ok_or(ApiError::NotFound("app"))?;
    let index = app
        .variables
        .iter()
        .position(|v| v.id == id)
        .ok_or(ApiError::NotFound("variable"))?;
    if let Some(name) = &request.variable.name {
        check_name(name)?;
        if app.variables.iter().any(|v| &v.name == name && v.id != id) {
            return Err(ApiError::unprocessable("name", "has already been taken"));
        }
    }
    let variable = &mut app.variables[index];
    let old_value = variable.value.clone();
    if let Some(name) = request.variable.name {
        variable.name = name;
    }
    if let Some(value) = request.variable.value {
        variable.value = value;
    }
    let variable = variable.clone();
    app.push_event(
        &caller.user,
        "edit_variable",
        json!({ "name": variable.name, "old_value": old_value, "value": variable.value }),
    );
    Ok(Json(json!({ "variable": variable_json(&variable) })))
}

/// `DELETE /v1/apps/{app}/variables/{id}` -> 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((app, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut world = state.world();
    let app = world.apps.get_mut(&app).ok_or(ApiError::NotFound("app"))?;
    let index = app
        .variables
        .iter()
        .position(|v| v.id == id)
        .ok_or(ApiError::NotFound("variable"))?;
    let removed = app.variables.remove(index);
    app.push_event(
        &caller.user,
        "delete_variable",
        json!({ "name": removed.name, "value": removed.value }),
    );
    Ok(StatusCode::NO_CONTENT)
}

fn variable_json(variable: &Variable) -> Value {
    json!({ "id": variable.id, "name": variable.name, "value": variable.value })
}

/// Environment variable names as a shell accepts them: a letter or `_`,
/// then letters, digits and `_`.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::unprocessable("name", "can't be blank"));
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok || !rest_ok || name.len() > MAX_NAME_LEN {
        return Err(ApiError::unprocessable(
            "name",
            "is invalid: letters, digits and `_` only, not starting with a digit",
        ));
    }
    Ok(())
}
