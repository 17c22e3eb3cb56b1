//! `rewind status [APP]`: what runs now and since when, what ran before and
//! which release each deployment was, the last good release, auto-deploy,
//! and the database's backups and point-in-time window. With several apps
//! and no APP, one line per app.

use chrono::{DateTime, Utc};
use clap::Args;
use rewind_core::config::AppConfig;
use rewind_core::identify::Identified;
use rewind_core::status::{AppStatus, app_status};

use crate::cli_error::CliError;
use crate::commands::rollback::print_json;
use crate::context::{Context, Global};
use crate::ui::{self, Style};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The app (as named in rewind.toml). Default: the only app; with
    /// several apps, a summary line for each.
    app: Option<String>,

    /// How many recent deployments to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=500))]
    limit: u16,

    /// Print the status as JSON on stdout (schema in docs/status.md).
    #[arg(long)]
    json: bool,
}

pub fn run(args: StatusArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let apps: Vec<&AppConfig> = match &args.app {
        Some(name) => vec![ctx.app(Some(name))?],
        None => ctx.config.apps.iter().collect(),
    };
    let summary = apps.len() > 1;
    let limit = if summary { 1 } else { usize::from(args.limit) };
    let mut statuses = Vec::new();
    for app in &apps {
        let platform = ctx.platform(app)?;
        let git = ctx.git();
        let status =
            app_status(&platform, &git, app, &ctx.journal, limit).map_err(|e| match e {
                rewind_core::status::StatusError::Platform(p) => CliError::from(p),
                rewind_core::status::StatusError::Journal(j) => CliError::from(j),
            })?;
        statuses.push(status);
    }
    if args.json {
        let value = if summary {
            serde_json::json!({ "apps": statuses })
        } else {
            serde_json::to_value(&statuses[0]).map_err(CliError::failed)?
        };
        print_json(&value)?;
        for s in &statuses {
            for w in &s.warnings {
                errln!("warning: {}: {w}", s.app.name);
            }
        }
        return Ok(());
    }
    // The status is data: painted for stdout's terminal, not stderr's.
    let style = Style::stdout();
    let now = Utc::now();
    if summary {
        for s in &statuses {
            outln!("{}", summary_line(s, now, &style));
        }
        return Ok(());
    }
    print_full(&statuses[0], now, &style);
    Ok(())
}

fn summary_line(s: &AppStatus, now: DateTime<Utc>, style: &Style) -> String {
    let running = s
        .situation
        .current
        .as_ref()
        .map(|c| format!("{} since {}", c.release.label, since(c, now)))
        .unwrap_or_else(|| "nothing deployed yet".to_string());
    let good = s
        .situation
        .last_good
        .as_ref()
        .map(|g| g.release.label.clone())
        .unwrap_or_else(|| "none".to_string());
    let auto = match &s.scm_link {
        _ if s.hold.is_some() => "auto-deploy held by rewind",
        _ if s.scm_link_error.is_some() => "auto-deploy unknown (could not read the SCM link)",
        Some(l) if l.auto_deploy_enabled => "auto-deploy on",
        Some(_) => "auto-deploy off",
        None => "no SCM link",
    };
    format!(
        "{}  {}  runs {running}; last good {good}; {auto}",
        style.bold(&s.app.name),
        app_state(&s.app.status, style)
    )
}

/// The whole picture of one app, one section after the other: what runs,
/// what would be rolled back to, what is held, the database, the recent
/// deployments, then warnings and notes on stderr.
fn print_full(s: &AppStatus, now: DateTime<Utc>, style: &Style) {
    print_header(s, style);
    print_running(s, now, style);
    print_last_good(s, now, style);
    print_marks(s, style);
    print_in_progress(s, now, style);
    print_hold(s);
    print_auto_deploy(s, style);
    print_database(s, style);
    print_recent(s, style);
    print_warnings_and_notes(s);
}

fn print_header(s: &AppStatus, style: &Style) {
    let region = s.app.region.as_deref().unwrap_or("?");
    outln!(
        "{}  {}  (region {region})",
        style.bold(&s.app.name),
        app_state(&s.app.status, style)
    );
}

fn print_running(s: &AppStatus, now: DateTime<Utc>, style: &Style) {
    match &s.situation.current {
        Some(c) => outln!(
            "  now running   {} ({}) since {}, deployment {}",
            style.bold(&ui::sanitize(&c.release.label, false)),
            c.release.source,
            since(c, now),
            short(&c.deployment.id)
        ),
        None => outln!("  now running   nothing: no successful deployment yet"),
    }
}

fn print_last_good(s: &AppStatus, now: DateTime<Utc>, style: &Style) {
    match &s.situation.last_good {
        Some(g) => outln!(
            "  last good     {} ({}), deployed {}",
            style.ok(&ui::sanitize(&g.release.label, false)),
            g.release.source,
            when(g.deployment.created_at, now)
        ),
        None if !s.marked_bad.is_empty() => outln!(
            "  last good     none found: no earlier successful deployment of another release that is not marked bad"
        ),
        None => outln!(
            "  last good     none found: no earlier successful deployment of another release"
        ),
    }
}

/// Releases marked bad, left out of "last good", each with the command that
/// takes its mark back.
fn print_marks(s: &AppStatus, style: &Style) {
    for mark in &s.marked_bad {
        let what = mark
            .label
            .as_deref()
            .or(mark.tag.as_deref())
            .or(mark.commit.as_deref())
            .unwrap_or("?");
        outln!(
            "  marked bad    {} (incident {}): left out of last good; `rewind unmark {} {} --reason …` takes it back",
            style.warn(&ui::sanitize(what, false)),
            mark.incident,
            s.app.name,
            ui::sanitize(mark.tag.as_deref().unwrap_or(what), false)
        );
    }
}

fn print_in_progress(s: &AppStatus, now: DateTime<Utc>, style: &Style) {
    if let Some(d) = &s.situation.in_progress {
        outln!(
            "  in progress   deployment {} is {} (started {})",
            short(&d.id),
            style.warn(d.status.as_str()),
            when(d.created_at, now)
        );
    }
}

fn print_hold(s: &AppStatus) {
    if let Some(h) = &s.hold {
        outln!(
            "  hold          auto-deploy held by rewind since {} by {} (incident {}); `rewind unhold {}` restores it",
            stamp(h.since),
            h.by.as_deref().unwrap_or("?"),
            h.incident,
            s.app.name
        );
    }
}

fn print_auto_deploy(s: &AppStatus, style: &Style) {
    match &s.scm_link {
        Some(l) if l.auto_deploy_enabled => outln!(
            "  auto-deploy   {} for branch {}: a push there deploys by itself (rewind hold switches it off)",
            style.warn("on"),
            l.branch.as_deref().unwrap_or("?")
        ),
        Some(l) => outln!(
            "  auto-deploy   off (branch {})",
            l.branch.as_deref().unwrap_or("?")
        ),
        None => match &s.scm_link_error {
            Some(why) => outln!("  auto-deploy   {}", style.warn(&could_not_read(why))),
            None => outln!("  auto-deploy   no SCM link"),
        },
    }
}

/// The addon, its state, its point-in-time window and its backups; a part
/// that could not be read says so instead of looking absent.
fn print_database(s: &AppStatus, style: &Style) {
    match &s.database {
        Some(db) => {
            let state = db
                .database
                .as_ref()
                .and_then(|d| d.status.clone())
                .or_else(|| db.addon.status.clone())
                .unwrap_or_else(|| "unknown".into());
            outln!(
                "  database      {} {} ({state})",
                db.addon.provider_id,
                db.addon.plan.as_deref().unwrap_or("")
            );
            if let Some(why) = &db.database_error {
                outln!(
                    "                details  {}",
                    style.warn(&could_not_read(why))
                );
            }
            if let Some(w) = &db.recovery_window {
                outln!(
                    "                point-in-time window {} -> {}",
                    stamp(w.earliest),
                    stamp(w.latest)
                );
            }
            if let Some(why) = &db.recovery_window_error {
                outln!(
                    "                point-in-time window  {}",
                    style.warn(&could_not_read(why))
                );
            }
            match &db.backups_error {
                Some(why) => outln!(
                    "                backups  {}",
                    style.warn(&could_not_read(why))
                ),
                None if db.backups.is_empty() => outln!("                no backups"),
                None => {}
            }
            for b in &db.backups {
                outln!(
                    "                backup {} {} {} {}",
                    b.created_at.map(stamp).unwrap_or_else(|| "?".into()),
                    b.method.as_deref().unwrap_or("?"),
                    b.status,
                    b.size.map(size).unwrap_or_default()
                );
            }
            for n in &db.notes {
                outln!("                {}", style.dim(n));
            }
        }
        None => match &s.database_error {
            Some(why) => outln!("  database      {}", style.warn(&could_not_read(why))),
            None => outln!("  database      none"),
        },
    }
}

fn print_recent(s: &AppStatus, style: &Style) {
    outln!();
    outln!("Recent deployments");
    outln!(
        "  {:<17} {:<14} {:<14} {:>8}  {:<8} {:<22} FROM",
        "WHEN (UTC)",
        "WHO",
        "STATUS",
        "DURATION",
        "REF",
        "RELEASE"
    );
    for item in &s.situation.recent {
        let d = &item.deployment;
        let status = d.status.as_str();
        let painted = if d.status.is_success() {
            style.ok(&format!("{status:<14}"))
        } else if d.status.in_progress() {
            style.warn(&format!("{status:<14}"))
        } else {
            style.bad(&format!("{status:<14}"))
        };
        outln!(
            "  {:<17} {:<14} {painted} {:>8}  {:<8} {:<22} {}",
            d.created_at.map(stamp).unwrap_or_else(|| "?".into()),
            truncate(d.pusher.username.as_deref().unwrap_or("?"), 14),
            d.duration
                .map(|s| ui::duration(std::time::Duration::from_secs(s)))
                .unwrap_or_default(),
            d.git_ref.as_deref().map(short_ref).unwrap_or_default(),
            truncate(&item.release.label, 22),
            item.release.source
        );
    }
}

fn print_warnings_and_notes(s: &AppStatus) {
    // Warnings and notes go to stderr: painted for that stream.
    let err_style = Style::stderr();
    for w in &s.warnings {
        errln!("{} {w}", err_style.warn("warning:"));
    }
    for item in &s.situation.recent {
        if let Some(note) = &item.release.note {
            msgln!(
                "{} deployment {}: release unknown: {note}",
                err_style.dim("note:"),
                short(&item.deployment.id)
            );
        }
    }
}

/// A part that could not be read, never shown as absent. The reason may
/// quote the platform's answer: no escape sequence reaches the terminal.
fn could_not_read(why: &str) -> String {
    format!("could not read: {}", ui::sanitize(why, false))
}

fn app_state(status: &str, style: &Style) -> String {
    match status {
        "running" => style.ok(status),
        "crashed" | "stopped" => style.bad(status),
        // Any other state is the platform's word: shown, never obeyed.
        _ => style.warn(&ui::sanitize(status, false)),
    }
}

fn since(item: &Identified, now: DateTime<Utc>) -> String {
    when(
        item.deployment.finished_at.or(item.deployment.created_at),
        now,
    )
}

/// `2026-11-26 21:40 UTC (12 min ago)`.
fn when(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(t) = t else {
        return "at an unknown time".to_string();
    };
    let ago = now.signed_duration_since(t);
    let ago = if ago.num_minutes() < 1 {
        "just now".to_string()
    } else if ago.num_hours() < 1 {
        format!("{} min ago", ago.num_minutes())
    } else if ago.num_days() < 2 {
        format!(
            "{} h {:02} min ago",
            ago.num_hours(),
            ago.num_minutes() % 60
        )
    } else {
        format!("{} days ago", ago.num_days())
    };
    format!("{} UTC ({ago})", stamp(t))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A SHA's first seven digits; an archive's label as it is, shortened.
fn short_ref(r: &str) -> String {
    if r.len() >= 7 && r.bytes().all(|b| b.is_ascii_hexdigit()) {
        rewind_core::git::short_sha(r).to_string()
    } else {
        truncate(r, 8)
    }
}

/// A deployment id's first eight characters, enough to tell them apart.
fn short(id: &str) -> &str {
    rewind_core::text::prefix(id, 8)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
