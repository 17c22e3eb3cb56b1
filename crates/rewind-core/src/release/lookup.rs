//! Finding the release tag a person means when they type `4.0.0`, `v4.0.0`
//! or `etl-v4.0.0`, and suggesting the closest ones when it does not exist.

use super::tag_format::{ReleaseTag, TagFormat};
use super::version::Version;

/// How many suggestions [`nearest`] gives.
pub const NEAREST_LIMIT: usize = 3;

/// Why no single tag answers what the user typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The input is neither a tag of this format nor a version.
    #[error("`{input}` is neither a release tag (format `{format}`) nor a version like 1.2.3")]
    NotAVersion { input: String, format: String },
    /// No tag has that version; `nearest` lists the closest existing tags.
    #[error("no release tag for `{input}`{}", suggest(nearest))]
    NotFound { input: String, nearest: Vec<String> },
    /// Several components released that version: the user must pick one.
    #[error("`{input}` matches several release tags: {}", candidates.join(", "))]
    Ambiguous {
        input: String,
        candidates: Vec<String>,
    },
}

fn suggest(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!(" (closest: {})", nearest.join(", "))
    }
}

/// Finds the tag among `tags` that `input` names. `component` narrows the
/// search for monorepo formats when the input is a bare version.
pub fn find_tag<'a>(
    format: &TagFormat,
    tags: &'a [ReleaseTag],
    input: &str,
    component: Option<&str>,
) -> Result<&'a ReleaseTag, LookupError> {
    let input = input.trim();
    if let Some(tag) = tags.iter().find(|tag| tag.name == input) {
        return Ok(tag);
    }
    let (wanted_component, version) = wanted(format, input, component)?;
    let in_scope: Vec<&ReleaseTag> = tags
        .iter()
        .filter(|tag| wanted_component.is_none() || tag.component == wanted_component)
        .collect();
    let found: Vec<&ReleaseTag> = in_scope
        .iter()
        .copied()
        .filter(|tag| tag.version == version)
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(LookupError::NotFound {
            input: input.to_string(),
            nearest: nearest(&in_scope, &version)
                .into_iter()
                .map(|tag| tag.name.clone())
                .collect(),
        }),
        many => Err(LookupError::Ambiguous {
            input: input.to_string(),
            candidates: many.iter().map(|tag| tag.name.clone()).collect(),
        }),
    }
}

/// The component and version the input asks for.
fn wanted(
    format: &TagFormat,
    input: &str,
    component: Option<&str>,
) -> Result<(Option<String>, Version), LookupError> {
    if let Some(tag) = format.parse_tag(input) {
        return Ok((tag.component.or(component.map(str::to_string)), tag.version));
    }
    let bare = input.strip_prefix('v').unwrap_or(input);
    match Version::parse(bare) {
        Ok(version) => Ok((component.map(str::to_string), version)),
        Err(_) => Err(LookupError::NotAVersion {
            input: input.to_string(),
            format: format.template().to_string(),
        }),
    }
}

/// Up to [`NEAREST_LIMIT`] tags closest to `wanted`, in version order, for
/// "tag not found" messages. Starting from where `wanted` would sit in the
/// sorted list, it walks outwards, each step taking the neighbour that is
/// closer (same major first, then same minor line): someone asking for 4.0.0
/// hears about 4.0.1 and 4.1.0 before 3.9.9.
pub fn nearest<'a, T>(tags: &'a [T], wanted: &Version) -> Vec<&'a ReleaseTag>
where
    T: AsRef<ReleaseTag>,
{
    let mut sorted: Vec<&ReleaseTag> = tags.iter().map(AsRef::as_ref).collect();
    sorted.sort_by(|a, b| a.version.cmp(&b.version));
    let split = sorted.partition_point(|tag| &tag.version < wanted);
    let mut below = sorted[..split].iter().rev().peekable();
    let mut above = sorted[split..].iter().peekable();
    let mut picked = Vec::new();
    while picked.len() < NEAREST_LIMIT {
        let take_below = match (below.peek(), above.peek()) {
            (Some(b), Some(a)) => distance(&b.version, wanted) < distance(&a.version, wanted),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_below {
            below.next()
        } else {
            above.next()
        };
        picked.extend(next.copied());
    }
    picked.sort_by(|a, b| a.version.cmp(&b.version));
    picked
}

fn distance(a: &Version, b: &Version) -> (u64, u64, u64, bool) {
    (
        a.major.abs_diff(b.major),
        a.minor.abs_diff(b.minor),
        a.patch.abs_diff(b.patch),
        a.pre != b.pre,
    )
}
