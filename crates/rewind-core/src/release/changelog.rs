//! What changed between two releases, read from a release-please
//! `CHANGELOG.md`: the sections whose version lies between the two.

use chrono::NaiveDate;

use super::version::Version;

/// One release's section of a changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogSection {
    /// The version in the heading.
    pub version: Version,
    /// The heading's date, when it has one (`(2024-03-01)`).
    pub date: Option<NaiveDate>,
    /// The lines under the heading, blank lines at both ends removed.
    pub body: Vec<String>,
}

/// The sections for versions after `from` (exclusive) up to `to`
/// (inclusive), in the changelog's own order. `from` and `to` may be given
/// either way round: a rollback goes from the newer to the older.
pub fn sections_between(changelog: &str, from: &Version, to: &Version) -> Vec<ChangelogSection> {
    let (low, high) = if from <= to { (from, to) } else { (to, from) };
    parse_sections(changelog)
        .into_iter()
        .filter(|section| &section.version > low && &section.version <= high)
        .collect()
}

/// Every release section in the changelog, in order of appearance.
pub fn parse_sections(changelog: &str) -> Vec<ChangelogSection> {
    let mut sections: Vec<ChangelogSection> = Vec::new();
    for line in changelog.lines() {
        match parse_heading(line) {
            Some((version, date)) => sections.push(ChangelogSection {
                version,
                date,
                body: Vec::new(),
            }),
            None => {
                if let Some(section) = sections.last_mut() {
                    section.body.push(line.trim_end().to_string());
                }
            }
        }
    }
    for section in &mut sections {
        trim_blank_lines(&mut section.body);
    }
    sections
}

/// `## [1.2.0](https://…/compare/v1.1.0...v1.2.0) (2024-03-01)`,
/// `## 1.2.0 (2024-03-01)` or `### [1.2.1](…)`. Headings that are not
/// versions (`### Bug Fixes`) belong to the body.
fn parse_heading(line: &str) -> Option<(Version, Option<NaiveDate>)> {
    let text = line.trim_start_matches('#');
    let depth = line.len() - text.len();
    if !(1..=4).contains(&depth) || !text.starts_with(' ') {
        return None;
    }
    let text = text.trim();
    let (label, rest) = match text.strip_prefix('[') {
        Some(linked) => {
            let (label, after) = linked.split_once(']')?;
            (label, skip_link(after))
        }
        None => text.split_once(' ').unwrap_or((text, "")),
    };
    let version = heading_version(label)?;
    Some((version, heading_date(rest)))
}

/// The part of a heading after `[label]`, without its `(url)`.
fn skip_link(after: &str) -> &str {
    match after.strip_prefix('(') {
        Some(url) => url.split_once(')').map_or("", |(_, rest)| rest),
        None => after,
    }
}

/// `1.2.0`, `v1.2.0`, or a monorepo label `etl: 1.2.0` / `etl-v1.2.0`.
fn heading_version(label: &str) -> Option<Version> {
    let last = label.rsplit([' ', ':']).next()?.trim();
    let candidates = [
        last,
        last.strip_prefix('v').unwrap_or(last),
        last.rsplit_once("-v").map_or(last, |(_, version)| version),
    ];
    candidates.iter().find_map(|c| Version::parse(c).ok())
}

fn heading_date(rest: &str) -> Option<NaiveDate> {
    let inner = rest.trim().strip_prefix('(')?.split_once(')')?.0;
    NaiveDate::parse_from_str(inner.trim(), "%Y-%m-%d").ok()
}

fn trim_blank_lines(lines: &mut Vec<String>) {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let leading = lines.iter().take_while(|l| l.trim().is_empty()).count();
    lines.drain(..leading);
}
