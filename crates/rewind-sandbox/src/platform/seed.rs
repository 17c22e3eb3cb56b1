//! Turning an app seed (from the configuration or `POST /_sandbox/apps`)
//! into an app of the world, and the app-name rule the admin route checks.

use crate::config::AppSeed;
use crate::state::{Addon, App, ScmLink};
use crate::time::{new_id, now};

/// The platform's limit on app names.
const MAX_APP_NAME_LEN: usize = 48;

/// A new app as the seed describes it.
pub fn app_from_seed(seed: &AppSeed) -> App {
    let mut app = App::new(&seed.name);
    app.repo = seed.repo.clone();
    app.scm = seed.scm.as_ref().map(|s| ScmLink {
        id: new_id(),
        branch: s.branch.clone(),
        auto_deploy_enabled: s.auto_deploy,
        created_at: now(),
        updated_at: now(),
    });
    for a in &seed.addons {
        app.addons.push(Addon {
            id: new_id(),
            resource_id: format!("{}-{}", seed.name, &new_id()[..4]),
            provider: a.provider.clone(),
            plan: a.plan.clone(),
            status: "running".to_string(),
            provisioned_at: now(),
        });
    }
    app
}

/// App names as the platform accepts them: lower-case letters, digits and
/// dashes, starting with a letter, not ending with a dash. `Err` says why.
pub fn check_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("can't be blank".to_string());
    }
    if name.len() > MAX_APP_NAME_LEN {
        return Err(format!(
            "is too long (at most {MAX_APP_NAME_LEN} characters)"
        ));
    }
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !starts_with_letter || !allowed || name.ends_with('-') {
        return Err(
            "is invalid: lower-case letters, digits and dashes, starting with a letter".to_string(),
        );
    }
    Ok(())
}
