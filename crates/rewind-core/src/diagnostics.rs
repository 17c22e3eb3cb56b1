//! What the readers of files a team writes (`rewind.toml`, decision
//! trees) share to report a problem where it is: byte offsets turned into
//! 1-based line numbers, in logarithmic time, so that a file with
//! thousands of problems is still checked in time linear in its size.

/// The start of every line of a text.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// Byte offset of each line's first byte; the first is 0.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The 1-based line holding byte `offset` (the last line past the end).
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        // The number of line starts at or before `offset`.
        self.starts.partition_point(|&start| start <= offset)
    }
}

/// `a, b, c` with each name in backquotes, for "expected one of" messages;
/// a long list names its first few and counts the rest, so that a message
/// stays a line however large the file.
pub(crate) fn name_list(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    const SHOWN: usize = 12;
    let mut shown = Vec::new();
    let mut rest = 0usize;
    for name in names {
        if shown.len() < SHOWN {
            shown.push(format!("`{}`", name.as_ref()));
        } else {
            rest += 1;
        }
    }
    let mut text = shown.join(", ");
    if rest > 0 {
        text.push_str(&format!(", and {rest} more"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 1);
        assert_eq!(index.line(3), 2);
        assert_eq!(index.line(6), 3);
        assert_eq!(index.line(7), 4);
        assert_eq!(index.line(999), 4);
        assert_eq!(LineIndex::new("").line(0), 1);
    }

    #[test]
    fn long_lists_are_cut() {
        assert_eq!(name_list(["a", "b"]), "`a`, `b`");
        let many: Vec<String> = (0..20).map(|i| format!("n{i}")).collect();
        let text = name_list(&many);
        assert!(text.ends_with("`n11`, and 8 more"), "{text}");
    }
}
