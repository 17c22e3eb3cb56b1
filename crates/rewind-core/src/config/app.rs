//! Reads one `[[apps]]` table: where the app runs and how its releases are
//! tagged. Its sub-tables are read by [`super::sections`].

use super::collector::Collector;
use super::fields::Table;
use super::model::{AppConfig, DEFAULT_REMOTE, DEFAULT_TAG_FORMAT, PlatformKind};
use super::sections::{read_database, read_feature_flags, read_health_check, read_watch};
use super::values::{checked, is_slug, webhook_url};
use crate::platform::scalingo::DEFAULT_REGION;
use crate::release::{TagFormat, TagFormatError};

const APP_KEYS: [&str; 12] = [
    "name",
    "platform",
    "region",
    "remote",
    "tag_format",
    "component",
    "package",
    "database",
    "health_check",
    "feature_flags",
    "watch",
    "webhook_url",
];

const FORMAT_EXAMPLES: &str = "a format such as \"v{version}\" or \"{component}-v{version}\"";

/// The app, and the offset of its name (to point duplicates at it); `None`
/// when the name is unusable. Other problems are recorded, and the caller's
/// [`Collector`] refuses the file.
pub(crate) fn read_app(c: &mut Collector, t: &Table<'_, '_>) -> Option<(AppConfig, usize)> {
    t.check_keys(c, &APP_KEYS);
    const NAME: &str = "the app's name on Scalingo (lowercase letters, digits and dashes)";
    let name = t.required_string(c, "name", &format!("a string: {NAME}"));
    let name = checked(c, t, "name", name, is_slug, NAME)?;
    let platform = read_platform(c, t);
    const REGION: &str = "a Scalingo region such as \"osc-fr1\" or \"osc-secnum-fr1\"";
    let region = t.string(c, "region", REGION);
    let region = checked(c, t, "region", region, is_slug, REGION)
        .map_or_else(|| DEFAULT_REGION.to_string(), |r| r.into_inner());
    const REMOTE: &str = "the name of a git remote, such as \"origin\"";
    let remote = t.string(c, "remote", REMOTE);
    let remote = checked(c, t, "remote", remote, is_remote_name, REMOTE)
        .map_or_else(|| DEFAULT_REMOTE.to_string(), |r| r.into_inner());
    let (tag_format, component) = read_tag_format(c, t);
    const PACKAGE: &str = "the package name build logs print (`> name@1.2.3 prepare`)";
    let package = t.string(c, "package", PACKAGE);
    let package = checked(c, t, "package", package, is_word, PACKAGE).map(|p| p.into_inner());
    let app = AppConfig {
        name: name.get_ref().clone(),
        platform,
        region,
        team: None,
        remote,
        tag_format,
        component,
        package,
        database: read_database(c, t),
        health_check: read_health_check(c, t),
        feature_flags: read_feature_flags(c, t),
        watch: read_watch(c, t),
        webhook_url: webhook_url(c, t),
    };
    Some((app, name.span().start))
}

fn read_platform(c: &mut Collector, t: &Table<'_, '_>) -> PlatformKind {
    let expected = format!(
        "\"{}\" (the only platform rewind supports for now)",
        PlatformKind::NAMES.join("\", \"")
    );
    let Some(name) = t.string(c, "platform", &expected) else {
        return PlatformKind::Scalingo;
    };
    PlatformKind::parse(name.get_ref()).unwrap_or_else(|| {
        c.at(
            name.span().start,
            &t.key("platform"),
            format!(
                "unknown platform \"{}\"; expected {expected}",
                name.get_ref()
            ),
        );
        PlatformKind::Scalingo
    })
}

/// The tag format and its component: a format with `{component}` needs
/// one, and a component without `{component}` would be silently unused.
fn read_tag_format(c: &mut Collector, t: &Table<'_, '_>) -> (TagFormat, Option<String>) {
    let format = t.string(c, "tag_format", FORMAT_EXAMPLES);
    let (tag_format, format_offset) = match &format {
        None => (default_format(), t.start()),
        Some(text) => match TagFormat::parse(text.get_ref()) {
            Ok(parsed) => {
                if let Some(why) = not_a_tag_name(text.get_ref()) {
                    c.at(
                        text.span().start,
                        &t.key("tag_format"),
                        format!("{why}; expected {FORMAT_EXAMPLES}"),
                    );
                    return (default_format(), None);
                }
                (parsed, text.span().start)
            }
            Err(error) => {
                c.at(text.span().start, &t.key("tag_format"), describe(&error));
                return (default_format(), None);
            }
        },
    };
    const COMPONENT: &str = "the component name release-please puts in tags, e.g. \"etl\"";
    let component = t.string(c, "component", COMPONENT);
    let component = checked(c, t, "component", component, is_word, COMPONENT);
    match (tag_format.has_component(), component) {
        (true, None) if !t.has("component") => {
            c.at(
                format_offset,
                &t.key("component"),
                format!(
                    "missing, and the tag format \"{tag_format}\" uses {{component}}; \
                     expected component = \"<name>\" ({COMPONENT})"
                ),
            );
            (tag_format, None)
        }
        (false, Some(component)) => {
            c.at(
                component.span().start,
                &t.key("component"),
                format!(
                    "the tag format \"{tag_format}\" has no {{component}} to fill; expected \
                     tag_format = \"{{component}}-v{{version}}\", or no component"
                ),
            );
            (tag_format, None)
        }
        (_, component) => (tag_format, component.map(|c| c.into_inner())),
    }
}

fn default_format() -> TagFormat {
    TagFormat::parse(DEFAULT_TAG_FORMAT).unwrap_or_default()
}

/// The format problem in the file's words, ending with what is expected.
fn describe(error: &TagFormatError) -> String {
    let problem = match error {
        TagFormatError::UnknownPlaceholder { placeholder, .. } => {
            format!("unknown placeholder {placeholder}")
        }
        TagFormatError::VersionPlaceholder { .. } => {
            "must contain {version} exactly once".to_string()
        }
        TagFormatError::ComponentPlaceholder { .. } => {
            "may contain {component} at most once".to_string()
        }
        TagFormatError::AdjacentPlaceholders { .. } => {
            "{component} and {version} side by side cannot be told apart in a tag".to_string()
        }
        TagFormatError::MissingComponent { .. } => error.to_string(),
    };
    format!("{problem}; expected {FORMAT_EXAMPLES}")
}

/// Why tags made from `template` could not be git tag names, if so: git
/// refuses spaces, control characters and `~^:?*[\\` in a ref name, and
/// would read a leading dash as an option.
fn not_a_tag_name(template: &str) -> Option<&'static str> {
    if template.starts_with('-') {
        return Some("starts with `-`, which git would read as an option");
    }
    let refused = |ch: char| ch.is_whitespace() || ch.is_control() || "~^:?*[\\".contains(ch);
    if template.chars().any(refused) || template.contains("..") || template.contains("@{") {
        return Some(
            "holds a character git does not accept in a tag name (a space, a control character, `..`, `@{` or one of ~^:?*[\\)",
        );
    }
    None
}

/// Git would read a leading dash as an option.
fn is_remote_name(text: &str) -> bool {
    !text.is_empty() && !text.starts_with('-') && !text.contains(char::is_whitespace)
}

/// A non-empty name without spaces (packages may be scoped: `@acme/web`).
fn is_word(text: &str) -> bool {
    !text.is_empty() && !text.contains(char::is_whitespace)
}
