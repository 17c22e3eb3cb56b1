//! The addons of an app on the main API (bearer checked with `Caller`):
//! `GET /v1/apps/{app}/addons`, `GET /v1/apps/{app}/addons/{addon_id}` and
//! `POST /v1/apps/{app}/addons/{addon_id}/token`, which hands out the
//! database API's bearer.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::auth::{Caller, REGION};
use crate::database::engine::Engine;
use crate::database::tokens;
use crate::state::{Addon, App, AppState};
use crate::time::format;

/// `GET /v1/apps/{app}/addons`.
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Path(app): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&app).ok_or(ApiError::NotFound("app"))?;
    let addons: Vec<Value> = app.addons.iter().map(|a| addon_json(app, a)).collect();
    Ok(Json(json!({ "addons": addons })))
}

/// `GET /v1/apps/{app}/addons/{addon_id}`.
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path((app, addon_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = state.world();
    let app = world.apps.get(&app).ok_or(ApiError::NotFound("app"))?;
    let addon = find(app, &addon_id)?;
    Ok(Json(json!({ "addon": addon_json(app, addon) })))
}

/// `POST /v1/apps/{app}/addons/{addon_id}/token`.
pub async fn token(
    State(state): State<AppState>,
    _caller: Caller,
    Path((app, addon_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut body = {
        let world = state.world();
        let app = world.apps.get(&app).ok_or(ApiError::NotFound("app"))?;
        addon_json(app, find(app, &addon_id)?)
    };
    body["token"] = Value::String(tokens::mint(&state, &addon_id));
    Ok(Json(json!({ "addon": body })))
}

fn find<'a>(app: &'a App, addon_id: &str) -> Result<&'a Addon, ApiError> {
    app.addons
        .iter()
        .find(|a| a.id == addon_id)
        .ok_or(ApiError::NotFound("addon"))
}

/// An addon shaped like the documentation's example.
pub fn addon_json(app: &App, addon: &Addon) -> Value {
    let engine = Engine::of_provider(&addon.provider);
    json!({
        "id": addon.id,
        "app_id": app.id,
        "resource_id": addon.resource_id,
        "provisioned_at": format(&addon.provisioned_at),
        "deprovisioned_at": null,
        "status": addon.status,
        "plan": plan_json(&addon.plan),
        "addon_provider": {
            "id": addon.provider,
            "name": format!("Scalingo {}", engine.display_name()),
            "logo_url": format!("//cdn.scalingo.com/addons/{}.svg", addon.provider),
        },
        "updated_at": format(&addon.provisioned_at),
    })
}

/// A plan as the API shows it. The sandbox has no plan catalogue: the id is
/// derived from the plan's name so that it stays the same across runs.
fn plan_json(plan: &str) -> Value {
    json!({
        "id": stable_id(plan),
        "name": plan,
        "display_name": plan_display_name(plan),
        "price": 0,
        "description": format!("{plan} (rewind sandbox)"),
        "position": 1,
        "on_demand": false,
        "disabled": false,
        "disabled_alternative_plan_id": null,
        "sku": format!("{REGION}-{plan}"),
    })
}

/// `postgresql-starter-512` -> `Starter 512`: the plan name without its
/// engine prefix, words capitalised.
fn plan_display_name(plan: &str) -> String {
    let rest = plan.split_once('-').map_or(plan, |(_, rest)| rest);
    rest.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A 24-hex-digit id (the API's id shape) that depends only on `text`
/// (FNV-1a, twice with different offsets).
fn stable_id(text: &str) -> String {
    let fnv = |offset: u64| {
        text.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:08x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x84222325_cbf29ce4) as u32
    )
}

#[cfg(test)]
mod tests {
    use super::{plan_display_name, stable_id};

    #[test]
    fn plans_read_well_and_keep_their_id() {
        assert_eq!(plan_display_name("postgresql-starter-512"), "Starter 512");
        assert_eq!(plan_display_name("redis-sandbox"), "Sandbox");
        assert_eq!(stable_id("redis-sandbox"), stable_id("redis-sandbox"));
        assert_ne!(stable_id("redis-sandbox"), stable_id("redis-starter"));
        assert_eq!(stable_id("x").len(), 24);
    }
}
